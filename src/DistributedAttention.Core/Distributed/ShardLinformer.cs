using DistributedAttention.Core.Attention;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Distributed;

/// <summary>Linformer on a shard: local E·K, E·V over its positions, summed round the ring (reduce), then local attention.</summary>
internal static class ShardLinformer
{
    public static async Task<AttentionResult> ForwardAsync(ShardContext c, Tensor qs, Tensor kf, Tensor vf)
    {
        var spec = c.Spec;
        var (n, start) = (c.Length, c.Start);
        var projected = await c.Run(() =>
        {
            var (kp, vp) = LinformerAttention.Project(spec, kf, vf, start, n);
            return new[] { kp, vp };
        }).ConfigureAwait(false);
        Tensor[] total;
        try
        {
            total = await RingCollectives.AllReduceAsync(c.Ring, c.Executor, projected, RingCollectives.Sum, c.Tag("reduce", "linformer"), c.Cancellation).ConfigureAwait(false);
        }
        finally
        {
            RingCollectives.Dispose(projected);
        }
        try
        {
            return await c.Run(() =>
            {
                var kernel = new IntervalAttention { QueryBlock = 256, KeyChunk = spec.ProjectedLength };
                var result = kernel.Forward(qs, total[0], total[1], HeadLayout.Range(start, c.End - start), 0, _ => (0, spec.ProjectedLength - 1));
                kernel.ClearMasks();
                return result;
            }).ConfigureAwait(false);
        }
        finally
        {
            RingCollectives.Dispose(total);
        }
    }
}
