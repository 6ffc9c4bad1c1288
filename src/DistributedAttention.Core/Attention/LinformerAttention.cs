using DistributedAttention.Contracts;
using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// Linformer: keys and values projected along the length to k rows, K' = E·K and V' = E·V
/// (one shared projection, <see cref="LinformerProjection"/>), then softmax(Q·K'ᵀ·scale)·V'.
/// E·K is a sum over positions, so shards reduce their local sums. Non-causal only.
/// </summary>
public static class LinformerAttention
{
    private const long KeyBlock = 8192;

    /// <summary>Linformer attention over the whole sequence.</summary>
    /// <param name="spec">A Linformer spec (ProjectedLength, Seed).</param>
    /// <param name="q">(batch, heads, n, d) queries.</param>
    /// <param name="k">(batch, heads, n, d) keys.</param>
    /// <param name="v">(batch, heads, n, dv) values.</param>
    /// <returns>Output and lse over the projected keys.</returns>
    public static AttentionResult Forward(AttentionSpec spec, Tensor q, Tensor k, Tensor v)
    {
        spec.Validate();
        HeadLayout.CheckInputs(q, k, v);
        using var scope = NewDisposeScope();
        var kf = HeadLayout.Flatten(k);
        var vf = HeadLayout.Flatten(v);
        var (kp, vp) = Project(spec, kf, vf, 0, k.shape[2]);
        var kernel = new IntervalAttention { QueryBlock = 256, KeyChunk = spec.ProjectedLength };
        var result = kernel.Forward(HeadLayout.ScaledQueries(q, HeadLayout.Scale(spec, q)), kp, vp,
            HeadLayout.Range(0, q.shape[2]), 0, _ => (0, spec.ProjectedLength - 1));
        kernel.ClearMasks();
        return HeadLayout.Unflatten(result, q.shape[0], q.shape[1]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// E·K and E·V for keys at absolute positions start .. start+len-1 of a sequence of
    /// <paramref name="totalLength"/>: the local term of the distributed reduce.
    /// </summary>
    /// <param name="spec">The Linformer spec.</param>
    /// <param name="k">(bh, len, d) keys.</param>
    /// <param name="v">(bh, len, dv) values.</param>
    /// <param name="start">Absolute position of the first key.</param>
    /// <param name="totalLength">Length n of the whole sequence.</param>
    public static (Tensor Keys, Tensor Values) Project(AttentionSpec spec, Tensor k, Tensor v, long start, long totalLength)
    {
        using var scope = NewDisposeScope();
        var len = k.shape[1];
        var kp = zeros(k.shape[0], spec.ProjectedLength, k.shape[2], dtype: k.dtype, device: k.device);
        var vp = zeros(v.shape[0], spec.ProjectedLength, v.shape[2], dtype: v.dtype, device: v.device);
        for (long s = 0; s < len; s += KeyBlock)
        {
            using var blockScope = NewDisposeScope();
            var count = Math.Min(KeyBlock, len - s);
            var e = LinformerProjection.Columns(spec.Seed, spec.ProjectedLength, totalLength, start + s, count, k.device).to(k.dtype);
            kp = InPlace.Accumulate(kp, e.matmul(k.narrow(1, s, count)));
            vp = InPlace.Accumulate(vp, e.matmul(v.narrow(1, s, count)));
        }
        return (kp.MoveToOuterDisposeScope(), vp.MoveToOuterDisposeScope());
    }
}
