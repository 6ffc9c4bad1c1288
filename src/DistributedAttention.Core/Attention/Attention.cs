using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// The entry point: computes the attention <paramref name="spec"/> describes with its efficient
/// kernel. Shapes follow flash-attn: (batch, heads, n, d).
/// </summary>
public static class Attention
{
    /// <summary>Runs the mechanism of <paramref name="spec"/> over the whole sequence.</summary>
    /// <param name="spec">Mechanism and parameters; validated first.</param>
    /// <param name="q">(batch, heads, n, d) queries.</param>
    /// <param name="k">(batch, heads, n, d) keys.</param>
    /// <param name="v">(batch, heads, n, dv) values.</param>
    /// <returns>Output (batch, heads, n, dv) and lse (batch, heads, n) where defined. The caller disposes it.</returns>
    public static AttentionResult Forward(AttentionSpec spec, Tensor q, Tensor k, Tensor v)
    {
        spec.Validate();
        // TODO(kernels): route every kind to its efficient kernel.
        return DenseReference.Forward(spec, q, k, v);
    }
}
