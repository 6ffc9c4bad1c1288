using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Runtime;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Distributed;

/// <summary>
/// Window and BigBird on a shard: halo of K/V for the band, K/V rotated round the ring for
/// BigBird's random blocks, all-gather of the global tokens' K/V (and Q), and reduce-merge of
/// the global queries' partials over every shard's keys.
/// </summary>
internal static class ShardWindow
{
    public static async Task<AttentionResult> ForwardAsync(ShardContext c, Tensor qs, Tensor kf, Tensor vf)
    {
        var spec = c.Spec;
        var (n, start) = (c.Length, c.Start);
        var need = HaloNeed(spec, c.Layout);
        var kHalo = RingCollectives.HaloAsync(c.Ring, c.Executor, kf, need, c.Tag("halo", "k"), c.Cancellation);
        var vHalo = RingCollectives.HaloAsync(c.Ring, c.Executor, vf, need, c.Tag("halo", "v"), c.Cancellation);
        // Global tokens' q/k/v from every shard; a plain window scores their keys in the band's own softmax.
        var globals = GlobalTokens.Positions(spec, n);
        var gathered = globals.Length > 0 ? await GatherGlobalsAsync(c, globals, qs, kf, vf).ConfigureAwait(false) : null;
        var fused = gathered is not null && WindowAttention.FusesGlobals(spec, n)
            ? new BlockBandAttention.GlobalKeys(globals, gathered.Keys, gathered.Values, spec.Causal)
            : null;
        var (kl, kr) = await kHalo.ConfigureAwait(false);
        var (vl, vr) = await vHalo.ConfigureAwait(false);
        AttentionResult result;
        using (kl)
        using (kr)
        using (vl)
        using (vr)
        {
            // The kernel reads the halos and the shard's own rows in place (no shard-sized copy, unless kv heads are repeated).
            result = await c.Run(() => WindowAttention.Band(spec, qs, start,
                new HeldRows(c.ExpandKv(kl), c.ExpandKv(kf), c.ExpandKv(kr)), new HeldRows(c.ExpandKv(vl), c.ExpandKv(vf), c.ExpandKv(vr)), start - kl.shape[1], n, fused)).ConfigureAwait(false);
        }
        if (spec.Kind == AttentionKind.BigBird)
        {
            var random = await ShardRotation.AccumulateAsync(c, kf, vf, "random",
                (k, v, keyStart) => BigBirdRandomBlocks.Partial(spec, qs, start, k, v, keyStart, n), skip: null).ConfigureAwait(false);
            result = await c.MergeAsync(result, random).ConfigureAwait(false);
        }
        if (gathered is not null) result = await AddGlobalsAsync(c, globals, gathered, fused is null, qs, kf, vf, result).ConfigureAwait(false);
        return result;
    }

    /// <summary>Rows each shard needs before and after its own for its window, clipped to the sequence.</summary>
    public static Func<int, (long Left, long Right)> HaloNeed(AttentionSpec spec, ShardLayout layout)
    {
        var n = layout.Length;
        var left = spec.WindowLeft is { } l ? (long)l * spec.Dilation : n;
        var right = spec.EffectiveRight is { } r ? (long)r * spec.Dilation : n;
        return s => (Math.Min(left, layout.Start(s)), Math.Min(right, n - layout.End(s)));
    }

    /// <summary>The global tokens' q, k and v gathered from every shard, and which of them this shard holds.</summary>
    private sealed record GatheredGlobals(Tensor Queries, Tensor Keys, Tensor Values, int OwnFirst, int OwnCount);

    private static async Task<GatheredGlobals> GatherGlobalsAsync(ShardContext c, long[] globals, Tensor qs, Tensor kf, Tensor vf)
    {
        var (start, end) = (c.Start, c.End);
        var ownFirst = LowerBound(globals, start);
        var ownCount = LowerBound(globals, end) - ownFirst;
        var own = await c.Run(() =>
        {
            var index = tensor(globals.AsSpan(ownFirst, ownCount).ToArray().Select(p => p - start).ToArray(), dtype: int64, device: qs.device);
            return new[] { qs.index_select(1, index), kf.index_select(1, index), vf.index_select(1, index) };
        }).ConfigureAwait(false);
        var (qOwn, kOwn, vOwn) = (own[0], own[1], own[2]);
        c.Bag.Add(qOwn);
        c.Bag.Add(kOwn);
        c.Bag.Add(vOwn);

        var kg = c.Bag.Add(await RingCollectives.AllGatherAsync(c.Ring, c.Executor, kOwn, c.Tag("allgather", "k"), c.Cancellation).ConfigureAwait(false));
        var vg = c.Bag.Add(await RingCollectives.AllGatherAsync(c.Ring, c.Executor, vOwn, c.Tag("allgather", "v"), c.Cancellation).ConfigureAwait(false));
        var qg = c.Bag.Add(await RingCollectives.AllGatherAsync(c.Ring, c.Executor, qOwn, c.Tag("allgather", "q"), c.Cancellation).ConfigureAwait(false));
        return new GatheredGlobals(qg, kg, vg, ownFirst, ownCount);
    }

    /// <summary>
    /// Merges the partial over the global keys (unless the band already scored them) and replaces
    /// the global query rows with their attention over every shard's keys.
    /// </summary>
    private static async Task<AttentionResult> AddGlobalsAsync(
        ShardContext c, long[] globals, GatheredGlobals gathered, bool mergeKeys, Tensor qs, Tensor kf, Tensor vf, AttentionResult result)
    {
        var (spec, n, start) = (c.Spec, c.Length, c.Start);
        var (qg, kg, vg, ownFirst, ownCount) = (gathered.Queries, gathered.Keys, gathered.Values, gathered.OwnFirst, gathered.OwnCount);
        if (mergeKeys)
        {
            var keys = await c.Run(() => GlobalTokens.KeysPartial(spec, globals, qs, start, kg, vg, n)).ConfigureAwait(false);
            result = await c.MergeAsync(result, keys).ConfigureAwait(false);
        }

        // Global query rows: every shard's partial over its own keys, merged round the ring.
        using var rows = await c.Run(() => GlobalTokens.RowsPartial(spec, globals, qg, kf, vf, start, n)).ConfigureAwait(false);
        var merged = await RingCollectives.AllReduceAsync(c.Ring, c.Executor, [rows.Output, rows.Lse!], MergeParts, c.Tag("reduce-merge", "globals"), c.Cancellation).ConfigureAwait(false);
        try
        {
            if (ownCount == 0) return result;
            return await c.Run(() =>
            {
                var local = tensor(globals.AsSpan(ownFirst, ownCount).ToArray().Select(p => p - start).ToArray(), dtype: int64, device: qs.device);
                using var s = new ScalarScope();
                var pick = arange(s[ownFirst], s[ownFirst + ownCount], dtype: int64, device: qs.device);
                result.Output.index_copy_(1, local, merged[0].index_select(1, pick));
                result.Lse!.index_copy_(1, local, merged[1].index_select(1, pick));
                return result;
            }).ConfigureAwait(false);
        }
        finally
        {
            RingCollectives.Dispose(merged);
        }
    }

    /// <summary>The lse merge as a combine of [o, lse] parts.</summary>
    public static Tensor[] MergeParts(Tensor[] a, Tensor[] b)
    {
        var merged = PartialMerge.Merge(new AttentionResult(a[0], a[1]), new AttentionResult(b[0], b[1]));
        return [merged.Output, merged.Lse!];
    }

    private static int LowerBound(long[] sorted, long value)
    {
        var i = Array.BinarySearch(sorted, value);
        return i >= 0 ? i : ~i;
    }
}
