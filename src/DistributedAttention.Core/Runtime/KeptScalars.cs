using TorchSharp;

namespace DistributedAttention.Core.Runtime;

/// <summary>
/// Scalars that live as long as the process, for the tensor ops of the hot paths.
/// </summary>
/// <remarks>
/// TorchSharp turns a number given where a <see cref="Scalar"/> is expected (also the alpha = 1 of
/// <c>a.add(b)</c>) into a native Scalar that only its finalizer frees, and nothing keeps that
/// object alive during the native call it was made for. A garbage collection in that call can
/// free it before libtorch reads it; a silo under load failed a layer that way ("Expected false to
/// be true … toFloat" from an add, and from a masked_fill, which copies its input before it reads
/// the value). A Scalar held here is never collected.
/// </remarks>
public static class KeptScalars
{
    /// <summary>0: comparisons and clamps of indices.</summary>
    public static readonly Scalar Zero = 0.ToScalar();

    /// <summary>1: the alpha of a plain tensor + tensor.</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>-inf: masked scores and the lse of rows that see nothing.</summary>
    public static readonly Scalar NegativeInfinity = float.NegativeInfinity.ToScalar();
}
