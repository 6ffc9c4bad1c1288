using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// Exact full attention (optionally causal), blockwise with online softmax: memory
/// O(query block × key chunk), and it returns the log-sum-exp that libtorch's SDPA does not.
/// Causal key chunks wholly above the diagonal are skipped.
/// </summary>
public static class FullAttention
{
    /// <summary>Exact attention over all keys.</summary>
    /// <param name="q">(batch, heads, nq, d) queries at positions 0..nq-1.</param>
    /// <param name="k">(batch, heads, nk, d) keys at positions 0..nk-1.</param>
    /// <param name="v">(batch, heads, nk, dv) values.</param>
    /// <param name="causal">Query i sees keys j ≤ i.</param>
    /// <param name="softmaxScale">Score scale; null means 1/sqrt(d).</param>
    /// <param name="queryBlock">Queries per block.</param>
    /// <param name="keyChunk">Keys per online-softmax step.</param>
    /// <param name="softCap">Soft-cap of the scaled scores; null: none.</param>
    public static AttentionResult Forward(Tensor q, Tensor k, Tensor v, bool causal = false, double? softmaxScale = null,
        int queryBlock = 256, int keyChunk = 1024, double? softCap = null)
    {
        HeadLayout.CheckInputs(q, k, v);
        using var scope = NewDisposeScope();
        var nk = k.shape[2];
        var kernel = new IntervalAttention { QueryBlock = queryBlock, KeyChunk = keyChunk, SoftCap = softCap };
        var result = kernel.Forward(HeadLayout.ScaledQueries(q, softmaxScale ?? 1.0 / Math.Sqrt(q.shape[3])), HeadLayout.Flatten(k), HeadLayout.Flatten(v),
            HeadLayout.Range(0, q.shape[2]), 0, i => (0, causal ? i : nk - 1));
        kernel.ClearMasks();
        return HeadLayout.Unflatten(result, q.shape[0], q.shape[1]).MoveToOuterDisposeScope();
    }
}
