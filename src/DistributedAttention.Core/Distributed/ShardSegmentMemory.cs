using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Distributed;

/// <summary>
/// Transformer-XL and Compressive memory on a shard: the memory (and the raw tokens behind the
/// compressed slots) is a left halo of K/V, so the receptive field crosses shard borders.
/// </summary>
internal static class ShardSegmentMemory
{
    public static async Task<AttentionResult> ForwardAsync(ShardContext c, Tensor qs, Tensor kf, Tensor vf)
    {
        var spec = c.Spec;
        var (n, start, end) = (c.Length, c.Start, c.End);
        var need = HaloNeed(spec, c.Layout);
        var kHalo = RingCollectives.HaloAsync(c.Ring, c.Executor, kf, need, c.Tag("halo", "k"), c.Cancellation);
        var vHalo = RingCollectives.HaloAsync(c.Ring, c.Executor, vf, need, c.Tag("halo", "v"), c.Cancellation);
        var (kl, kr) = await kHalo.ConfigureAwait(false);
        var (vl, vr) = await vHalo.ConfigureAwait(false);
        kr.Dispose();
        vr.Dispose();
        using (kl)
        using (vl)
        {
            return await c.Run(() =>
            {
                var kExt = cat([kl, kf], 1);
                var vExt = cat([vl, vf], 1);
                var keyStart = start - kl.shape[1];
                var positions = HeadLayout.Range(start, end - start);
                var kernel = new IntervalAttention { QueryBlock = 64, KeyChunk = 4096 };
                var result = kernel.Forward(qs, kExt, vExt, positions, keyStart, i => SegmentMemoryAttention.MemoryInterval(spec, i));
                kernel.ClearMasks();
                if (spec.Kind != AttentionKind.Compressive) return result;

                // The halo starts on a slot boundary (a multiple of c), so local pooling gives the global slots.
                var (kc, vc) = SegmentMemoryAttention.Compress(spec, kExt, vExt);
                if (kc.shape[1] == 0) return result;
                var slots = new IntervalAttention { QueryBlock = 64, KeyChunk = 4096 };
                var compressed = slots.Forward(qs, kc, vc, positions, keyStart / spec.CompressionRate, i => SegmentMemoryAttention.CompressedInterval(spec, i));
                slots.ClearMasks();
                return PartialMerge.Merge(result, compressed);
            }).ConfigureAwait(false);
        }
    }

    /// <summary>Left halo: from the memory start of the shard's first segment (minus the compressed span).</summary>
    public static Func<int, (long Left, long Right)> HaloNeed(AttentionSpec spec, ShardLayout layout)
    {
        var compressedSpan = spec.Kind == AttentionKind.Compressive ? (long)spec.CompressedLength * spec.CompressionRate : 0;
        return s =>
        {
            var start = layout.Start(s);
            var segmentStart = start / spec.SegmentLength * spec.SegmentLength;
            return (start - Math.Max(0, segmentStart - spec.MemoryLength - compressedSpan), 0);
        };
    }
}
