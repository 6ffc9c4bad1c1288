using DistributedAttention.Contracts;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// The entry point on one device: computes the attention an <see cref="AttentionSpec"/> describes
/// with its efficient kernel. Shapes are (batch, heads, n, d), the layout of PyTorch's
/// scaled_dot_product_attention (flash-attn takes (batch, n, heads, d)).
/// </summary>
public static class SingleDeviceAttention
{
    /// <summary>Runs the mechanism of <paramref name="spec"/> over the whole sequence.</summary>
    /// <param name="spec">Mechanism and parameters; validated first.</param>
    /// <param name="q">(batch, heads, n, d) queries.</param>
    /// <param name="k">(batch, kv heads, n, d) keys; kv heads divides heads (grouped-query attention: query head h reads kv head h / (heads / kv heads)).</param>
    /// <param name="v">(batch, kv heads, n, dv) values.</param>
    /// <returns>Output (batch, heads, n, dv) and lse (batch, heads, n) where defined. The caller disposes it.</returns>
    /// <exception cref="ArgumentException">The spec or the tensor shapes are invalid; the message names the problem.</exception>
    public static AttentionResult Forward(AttentionSpec spec, Tensor q, Tensor k, Tensor v)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        HeadLayout.CheckInputs(q, k, v, groupedKeys: true);
        var groups = q.shape[1] / k.shape[1];
        if (groups == 1) return MechanismKernels.For(spec.Kind).Forward(spec, q, k, v);
        using var kr = HeadLayout.RepeatGroups(k, groups);
        using var vr = HeadLayout.RepeatGroups(v, groups);
        return MechanismKernels.For(spec.Kind).Forward(spec, q, kr, vr);
    }
}
