using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Diagnostics;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Distributed;

/// <summary>
/// Load-balanced causal Ring Attention over contiguous shards. Every pair of shards a &lt; b
/// shares one visible block (b's queries, a's keys). A block of (Q, K, V) plus an accumulator
/// for its owner's queries travels right; at step t shard s meets the block of o = s − t and
/// computes the pair's block itself (o &lt; s: its queries, o's keys) or on o's behalf (o &gt; s:
/// o's queries, its own keys, merged into the travelling accumulator). Each pair is computed
/// where it is met first, so ⌊P/2⌋ steps cover all pairs and every shard does at most
/// ⌈(P−1)/2⌉ blocks; the accumulators then travel left back to their owners. A plain causal
/// ring leaves shard 0 idle and gives shard P−1 all P−1 blocks.
/// </summary>
internal static class ShardCausalRing
{
    public static async Task<AttentionResult> ForwardAsync(ShardContext c, Tensor qs, Tensor kf, Tensor vf)
    {
        var (p, s, layout) = (c.Layout.Count, c.Shard, c.Layout);
        var own = HeadLayout.Range(c.Start, c.End - c.Start);
        // The diagonal block: the shard's own keys, causally masked.
        var result = await c.Run(() => ShardFull.Block(qs, own, c.ExpandKv(kf), c.ExpandKv(vf), c.Start, i => i, c.Spec.LogitSoftCap)).ConfigureAwait(false);
        var steps = p / 2;
        if (steps == 0) return result;
        using var span = CollectiveSpan.Start(c.Ring, c.Tag("rotate", "causal"));

        // The travelling block: owner's q, k, v and the accumulator (o, lse) of the owner's queries.
        var block = await c.Run(() => new[] { qs.alias(), kf.alias(), vf.alias(), zeros_like(result.Output), full_like(result.Lse!, KeptScalars.NegativeInfinity) }).ConfigureAwait(false);
        try
        {
            for (var t = 1; t <= steps; t++)
            {
                var received = await PassAsync(c, (s + 1) % p, (s - 1 + p) % p, block, $"causal/{t}").ConfigureAwait(false);
                RingCollectives.Dispose(block);
                block = received;
                var owner = (s - t + p) % p;
                if (!Computes(s, t, p)) continue;
                var (q, k, v) = (block[0], block[1], block[2]);
                if (owner < s)
                {
                    // Our queries, the owner's (earlier) keys: all visible.
                    var part = await c.Run(() => ShardFull.Block(qs, own, c.ExpandKv(k), c.ExpandKv(v), layout.Start(owner), i => i, c.Spec.LogitSoftCap)).ConfigureAwait(false);
                    result = await c.MergeAsync(result, part).ConfigureAwait(false);
                }
                else
                {
                    // The owner's (later) queries, our keys: computed here, carried home in its accumulator.
                    var ownerRows = HeadLayout.Range(layout.Start(owner), layout.Size(owner));
                    var part = await c.Run(() => ShardFull.Block(q, ownerRows, c.ExpandKv(kf), c.ExpandKv(vf), c.Start, i => i, c.Spec.LogitSoftCap)).ConfigureAwait(false);
                    var merged = await c.MergeAsync(new AttentionResult(block[3], block[4]), part).ConfigureAwait(false);
                    (block[3], block[4]) = (merged.Output, merged.Lse!);
                }
            }

            // The accumulator at shard s belongs to s − steps: send accumulators `steps` hops left.
            var acc = await c.Run(() => new[] { block[3].alias(), block[4].alias() }).ConfigureAwait(false);
            for (var h = 1; h <= steps; h++)
            {
                var received = await PassAsync(c, (s - 1 + p) % p, (s + 1) % p, acc, $"causal-home/{h}").ConfigureAwait(false);
                RingCollectives.Dispose(acc);
                acc = received;
            }
            return await c.MergeAsync(result, new AttentionResult(acc[0], acc[1])).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            span.Fail(e);
            result.Dispose();
            throw;
        }
        finally
        {
            RingCollectives.Dispose(block);
        }
    }

    /// <summary>
    /// Whether shard s computes the pair it meets at step t: the pair's first meeting (t &lt; P/2);
    /// at t = P/2 (even P) both ends meet at once and the lower half of the ring takes it.
    /// </summary>
    public static bool Computes(int s, int t, int p) => 2 * t < p || (2 * t == p && s < p / 2);

    private static async Task<Tensor[]> PassAsync(ShardContext c, int to, int from, Tensor[] parts, string detail)
    {
        var send = RingCollectives.SendAllAsync(c.Ring, c.Executor, to, c.Tag("rotate", detail), parts, c.Cancellation);
        var received = await RingCollectives.ReceiveAllAsync(c.Ring, c.Executor, from, c.Tag("rotate", detail), parts.Length, parts[0].device, c.Cancellation).ConfigureAwait(false);
        await send.ConfigureAwait(false);
        return received;
    }
}
