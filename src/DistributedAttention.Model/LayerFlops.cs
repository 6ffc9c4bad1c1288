using DistributedAttention.Contracts;

namespace DistributedAttention.Model;

/// <summary>
/// The useful floating-point operations of one transformer layer over a sequence: the q/k/v, output
/// and feed-forward matmuls (2 per multiply-add) and the attention's score and value products over
/// the (query, key) pairs its mechanism lets see each other. Masked-out work a kernel may still do,
/// norms, RoPE and the softmax are not counted, so FLOPs / seconds compared with a plain matmul's
/// rate says how close to the machine's roof a layer runs.
/// </summary>
public static class LayerFlops
{
    /// <summary>Useful FLOPs of layer <paramref name="layer"/> of <paramref name="model"/> over <paramref name="n"/> tokens.</summary>
    public static double Of(TransformerOptions model, int layer, long n)
    {
        ArgumentNullException.ThrowIfNull(model);
        double d = model.ModelDim;
        var perToken = 8 * d * d + 4 * d * model.FeedForwardDim;
        return perToken * n + 4 * d * AttentionPairs(model.LayerAttention[layer], n);
    }

    /// <summary>
    /// (query, key) pairs scored per head: exact for full and banded windows; global tokens add their
    /// rows and columns; BigBird's random blocks, Linformer's projected keys, Luna's pack and unpack, Performer's features
    /// and XL's segments plus memory are counted as the keys each query is scored against.
    /// </summary>
    public static double AttentionPairs(AttentionSpec spec, long n)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var pairs = spec.Kind switch
        {
            AttentionKind.Full => spec.Causal ? n * (n + 1.0) / 2 : (double)n * n,
            AttentionKind.Window or AttentionKind.BigBird => Band(spec, n),
            AttentionKind.Linformer => (double)n * spec.ProjectedLength,
            // Luna: l packed rows score every key (pack), every query scores the l packed keys (unpack).
            AttentionKind.Luna => 2.0 * n * spec.PackedLength,
            // Routing: each query scores its cluster, n / C keys when clusters are balanced.
            AttentionKind.Routing => (double)n * n / spec.Clusters,
            // FAVOR+: the feature maps of q and k and the two products with them, about 2·m per query.
            AttentionKind.Performer => 2.0 * n * spec.Features,
            _ => (double)n * (spec.SegmentLength + spec.MemoryLength),
        };
        if (spec.Kind == AttentionKind.BigBird) pairs += (double)n * spec.RandomBlocks * spec.BlockSize;
        var globals = spec.Kind is AttentionKind.Window or AttentionKind.BigBird ? spec.GlobalPositions.Count : 0;
        // A global row sees every key and every row sees the global keys (the overlap with the band is ignored).
        return pairs + 2.0 * globals * n;
    }

    /// <summary>Keys in the (dilated, maybe causal) window of each row, summed over the rows.</summary>
    private static double Band(AttentionSpec spec, long n)
    {
        long delta = spec.Dilation;
        var left = (long?)spec.WindowLeft ?? n;
        var right = spec.EffectiveRight is { } r ? (long)r : n;
        double total = 0;
        for (long i = 0; i < n; i++)
        {
            // Keys i + k·δ with −left ≤ k ≤ right inside [0, n).
            var first = Math.Max(-left, -(i / delta));
            var last = Math.Min(right, (n - 1 - i) / delta);
            if (last >= first) total += last - first + 1;
        }
        return total;
    }
}
