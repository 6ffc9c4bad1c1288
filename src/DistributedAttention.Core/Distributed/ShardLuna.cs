using DistributedAttention.Core.Attention;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Distributed;

/// <summary>
/// Luna on a shard: the pack of its own keys (l rows with their lse), merged round the ring into
/// the whole sequence's pack (all-reduce with the log-sum-exp merge, so every shard holds the same
/// l rows), then the local unpack of its queries. Traffic per shard: l·(d + dv + 1) numbers per
/// head, twice, whatever n is.
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
        Tensor[] total;
        try
        {
            total = await RingCollectives.AllReduceAsync(c.Ring, local, ShardWindow.MergeParts, c.Tag("reduce-merge", "luna"), c.Cancellation).ConfigureAwait(false);
        }
        finally
        {
            RingCollectives.Dispose(local);
        }
        try
        {
            return await c.Run(() => LunaAttention.Unpack(spec, qs, new AttentionResult(total[0], total[1]), start, kf.shape[2])).ConfigureAwait(false);
        }
        finally
        {
            RingCollectives.Dispose(total);
        }
    }
}
