using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// Sliding-window attention (Longformer), bidirectional or causal, with dilation, global tokens
/// and, for BigBird, seeded random key blocks. Time and memory are O(n·w).
/// </summary>
/// <remarks>
/// Dilation δ splits the sequence into δ interleaved subsequences (positions ≡ r mod δ): a
/// query only sees keys of its own residue, so each subsequence is a plain window (left, right)
/// and no work is spent on skipped keys.
/// </remarks>
public static class WindowAttention
{
    /// <summary>Window (and BigBird) attention over the whole sequence.</summary>
    /// <param name="spec">A Window or BigBird spec.</param>
    /// <param name="q">(batch, heads, n, d) queries.</param>
    /// <param name="k">(batch, heads, n, d) keys.</param>
    /// <param name="v">(batch, heads, n, dv) values.</param>
    /// <returns>Output (batch, heads, n, dv) and lse (batch, heads, n).</returns>
    public static AttentionResult Forward(AttentionSpec spec, Tensor q, Tensor k, Tensor v)
    {
        spec.Validate();
        HeadLayout.CheckInputs(q, k, v);
        if (q.shape[2] != k.shape[2]) throw new ArgumentException("window attention needs as many keys as queries (self-attention).");
        using var scope = NewDisposeScope();
        var n = q.shape[2];
        var qs = HeadLayout.Flatten(q).mul(HeadLayout.Scale(spec, q));
        var kf = HeadLayout.Flatten(k);
        var vf = HeadLayout.Flatten(v);

        var result = Band(spec, qs, kf, vf);
        if (spec.Kind == AttentionKind.BigBird)
        {
            result = PartialMerge.Merge(result, BigBirdRandomBlocks.Partial(spec, qs, kf, vf));
        }
        var globals = GlobalTokens.Positions(spec, n);
        if (globals.Length > 0)
        {
            result = PartialMerge.Merge(result, GlobalTokens.KeysPartial(spec, globals, qs, kf, vf));
            GlobalTokens.ReplaceGlobalRows(spec, globals, qs, kf, vf, result);
        }
        return HeadLayout.Unflatten(result, q.shape[0], q.shape[1]).MoveToOuterDisposeScope();
    }

    /// <summary>The banded part alone on flattened, pre-scaled inputs (bh, n, d).</summary>
    internal static AttentionResult Band(AttentionSpec spec, Tensor qs, Tensor k, Tensor v)
    {
        var n = qs.shape[1];
        var left = (long?)spec.WindowLeft ?? n;
        var right = (long?)spec.EffectiveRight ?? n;
        var kernel = new IntervalAttention { QueryBlock = 64, KeyChunk = 4096 };
        try
        {
            var delta = spec.Dilation;
            if (delta == 1)
            {
                return kernel.Forward(qs, k, v, HeadLayout.Range(0, n), 0, i => (i - left, i + right));
            }

            using var scope = NewDisposeScope();
            var output = zeros(qs.shape[0], n, v.shape[2], dtype: qs.dtype, device: qs.device);
            var lse = full(qs.shape[0], n, float.NegativeInfinity, dtype: qs.dtype, device: qs.device);
            for (var r = 0; r < Math.Min(delta, n); r++)
            {
                // Positions r, r+δ, …: in subsequence coordinates the window is plain (left, right).
                var index = arange(r, n, delta, dtype: int64, device: qs.device);
                var m = index.shape[0];
                using var part = kernel.Forward(qs.index_select(1, index), k.index_select(1, index), v.index_select(1, index),
                    HeadLayout.Range(0, m), 0, i => (i - left, i + right));
                output.index_copy_(1, index, part.Output);
                lse.index_copy_(1, index, part.Lse!);
            }
            return new AttentionResult(output, lse).MoveToOuterDisposeScope();
        }
        finally
        {
            kernel.ClearMasks();
        }
    }

    /// <summary>
    /// Whether key position <paramref name="j"/> (any shape) lies in the dilated window of query
    /// position <paramref name="i"/> (broadcastable), causality included.
    /// </summary>
    internal static Tensor InWindow(AttentionSpec spec, Tensor i, Tensor j)
    {
        var visible = DenseReference.WindowMask(spec, i, j);
        return spec.Causal ? visible.logical_and(j.le(i)) : visible;
    }
}
