using DistributedAttention.Core.Attention;
using DistributedAttention.Contracts;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Distributed;

/// <summary>
/// Luna on a shard: the pack of its own keys (l rows with their lse). Non-causal: merged round
/// the ring into the whole sequence's pack (all-reduce with the log-sum-exp merge, so every shard
/// holds the same l rows), then the local unpack of its queries. Causal: an exclusive prefix scan
/// of the same merge gives each shard the pack of every earlier shard's keys, from which its rows
/// extend the pack position by position (<see cref="LunaCausal"/>). Traffic per shard:
/// l·(d + dv + 1) numbers per head, twice (non-causal) or once (causal), whatever n is.
/// </summary>
internal static class ShardLuna
{
    public static async Task<AttentionResult> ForwardAsync(ShardContext c, Tensor qs, Tensor kf, Tensor vf)
    {
        var spec = c.Spec;
        var start = c.Start;
        var local = await c.Run(() =>
        {
            var pack = LunaAttention.Pack(spec, kf, vf, start);
            return new[] { pack.Output, pack.Lse! };
        }).ConfigureAwait(false);
        Tensor[] packed;
        try
        {
            packed = spec.Causal
                ? await RingCollectives.ExclusiveScanAsync(c.Ring, c.Executor, local, ShardWindow.MergeParts,
                    () => EmptyPack(spec, kf, vf.shape[2]), c.Tag("prefix-scan", "luna"), c.Cancellation).ConfigureAwait(false)
                : await RingCollectives.AllReduceAsync(c.Ring, c.Executor, local, ShardWindow.MergeParts, c.Tag("reduce-merge", "luna"), c.Cancellation).ConfigureAwait(false);
        }
        finally
        {
            RingCollectives.Dispose(local);
        }
        try
        {
            var pack = new AttentionResult(packed[0], packed[1]);
            return await c.Run(() => spec.Causal
                ? LunaCausal.Forward(spec, qs, kf, vf, pack)
                : LunaAttention.Unpack(spec, qs, pack, start, kf.shape[2])).ConfigureAwait(false);
        }
        finally
        {
            RingCollectives.Dispose(packed);
        }
    }

    private static Tensor[] EmptyPack(AttentionSpec spec, Tensor k, long valueDim)
    {
        var empty = LunaAttention.EmptyPack(spec, k, valueDim);
        return [empty.Output, empty.Lse!];
    }
}
