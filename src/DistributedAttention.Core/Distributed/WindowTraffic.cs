using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;

namespace DistributedAttention.Core.Distributed;

/// <summary>
/// Bytes one Window attention call (with global tokens) moves between the shards of a ring:
/// what the ring collectives send (<see cref="Halo"/>, <see cref="AllGather"/>,
/// <see cref="ReduceMerge"/>) and the theoretical minimum, the data that must reach the shards
/// for every one of them to compute its rows (docs/benchmarks.md, "Cluster", derives it).
/// All figures are payload bytes in the wire element type; sends of a shard to itself are free.
/// </summary>
/// <param name="Halo">Halo exchange of K and V: one hop per neighbour while every halo fits in the neighbouring shard, forwarded over several hops when it does not.</param>
/// <param name="AllGather">Ring all-gather of the global tokens' K, V and Q: (P−1)·G rows of each.</param>
/// <param name="ReduceMerge">Ring all-reduce of the global queries' partial (o, lse): up the ring and back, 2(P−1)·G rows.</param>
/// <param name="MinimumHalo">Minimum: K and V of the window rows outside each shard, Σ over shards of (left + right halo rows).</param>
/// <param name="MinimumGlobalKeyValues">Minimum: K and V of the global tokens each shard's queries see, that it neither owns nor gets in its halo.</param>
/// <param name="MinimumGlobalQueries">Minimum: Q of each global token at every other shard holding keys it sees.</param>
/// <param name="MinimumPartials">Minimum: one partial (o, lse) per global token from every other shard holding keys it sees, to the owner.</param>
public sealed record WindowTraffic(long Halo, long AllGather, long ReduceMerge, long MinimumHalo, long MinimumGlobalKeyValues, long MinimumGlobalQueries, long MinimumPartials)
{
    /// <summary>What the collectives send in all.</summary>
    public long Total => Halo + AllGather + ReduceMerge;

    /// <summary>The theoretical minimum in all.</summary>
    public long Minimum => MinimumHalo + MinimumGlobalKeyValues + MinimumGlobalQueries + MinimumPartials;

    /// <summary>The traffic of <paramref name="spec"/> over <paramref name="layout"/>.</summary>
    /// <param name="spec">A Window spec (any window, dilation, causal, global positions).</param>
    /// <param name="layout">The shards.</param>
    /// <param name="batchHeads">batch × heads.</param>
    /// <param name="headDim">q/k head dim d.</param>
    /// <param name="valueDim">v head dim dv.</param>
    /// <param name="elementBytes">Bytes per element on the wire (4 for fp32, 2 for fp16/bf16).</param>
    /// <exception cref="ArgumentException">The spec is not a valid Window spec, or a size is not positive.</exception>
    public static WindowTraffic Of(AttentionSpec spec, ShardLayout layout, long batchHeads, long headDim, long valueDim, int elementBytes)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(layout);
        spec.Validate();
        if (spec.Kind != AttentionKind.Window) throw new ArgumentException($"window traffic is defined for Window specs; got {spec.Kind}.", nameof(spec));
        if (batchHeads < 1 || headDim < 1 || valueDim < 1 || elementBytes < 1)
            throw new ArgumentException($"batch·heads ({batchHeads}), head dims ({headDim}, {valueDim}) and element bytes ({elementBytes}) must be positive.");

        var (p, n) = (layout.Count, layout.Length);
        var need = ShardWindow.HaloNeed(spec, layout);
        var globals = GlobalTokens.Positions(spec, n);
        var g = (long)globals.Length;
        var kvRow = batchHeads * (headDim + valueDim) * elementBytes;
        var qRow = batchHeads * headDim * elementBytes;
        var partialRow = batchHeads * (valueDim + 1) * elementBytes;

        // What RingCollectives.HaloAsync sends: rightwards, shard s passes s+1 every row from the
        // earliest one any later shard needs up to its own end; leftwards mirrors it.
        long haloRows = 0;
        var reachLeft = long.MaxValue;
        for (var s = p - 1; s >= 1; s--)
        {
            reachLeft = Math.Min(reachLeft, layout.Start(s) - need(s).Left);
            haloRows += Math.Max(0, layout.End(s - 1) - Math.Max(reachLeft, 0));
        }
        var reachRight = long.MinValue;
        for (var s = 0; s < p - 1; s++)
        {
            reachRight = Math.Max(reachRight, layout.End(s) + need(s).Right);
            haloRows += Math.Max(0, Math.Min(reachRight, n) - layout.Start(s + 1));
        }

        // The minimum: per shard, the union of its halo rows and the foreign globals its queries see.
        long minHaloRows = 0, minGlobalRows = 0, contributors = 0;
        for (var s = 0; s < p; s++)
        {
            var (start, end) = (layout.Start(s), layout.End(s));
            var (left, right) = need(s);
            minHaloRows += left + right;
            foreach (var position in globals)
            {
                if (position >= start && position < end) continue;
                var inHalo = (position >= start - left && position < start) || (position >= end && position < end + right);
                // Causal: a query i sees a global key j only when j <= i.
                var seen = !spec.Causal || position < end;
                if (seen && !inHalo) minGlobalRows++;
            }
        }
        foreach (var position in globals)
        {
            var owner = layout.Owner(position);
            for (var s = 0; s < p; s++)
            {
                // A global query sees every key (causal: j <= i), so every other shard holding such a key contributes.
                if (s != owner && (!spec.Causal || layout.Start(s) <= position)) contributors++;
            }
        }

        var gathered = p > 1 ? (p - 1) * g : 0;
        return new WindowTraffic(
            Halo: haloRows * kvRow,
            AllGather: gathered * (kvRow + qRow),
            ReduceMerge: 2 * gathered * partialRow,
            MinimumHalo: minHaloRows * kvRow,
            MinimumGlobalKeyValues: minGlobalRows * kvRow,
            MinimumGlobalQueries: contributors * qRow,
            MinimumPartials: contributors * partialRow);
    }
}
