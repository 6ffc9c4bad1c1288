using TorchSharp;

namespace DistributedAttention.Core.Runtime;

/// <summary>
/// Scalars made for the tensor ops of one method, kept alive until the scope is disposed.
/// </summary>
/// <remarks>
/// A number passed where TorchSharp expects a <see cref="Scalar"/> becomes a native Scalar that
/// nothing keeps alive during the call (see <see cref="KeptScalars"/>); the project's analyzer
/// (DA0001) refuses such temporaries. <c>using var s = new ScalarScope();</c> then <c>x.mul(s[b])</c>
/// keeps each one until the end of the method.
/// </remarks>
public sealed class ScalarScope : IDisposable
{
    private readonly List<Scalar> held = [];

    // The Scalars made here are held in the list, which the analyzer cannot see.
#pragma warning disable DA0001
    /// <summary>An integer Scalar (for index arithmetic and integer tensors).</summary>
    public Scalar this[long value] => Keep(value.ToScalar());

    /// <summary>A floating-point Scalar.</summary>
    public Scalar this[double value] => Keep(value.ToScalar());
#pragma warning restore DA0001

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var scalar in held) scalar.Dispose();
        held.Clear();
    }

    private Scalar Keep(Scalar scalar)
    {
        held.Add(scalar);
        return scalar;
    }
}
