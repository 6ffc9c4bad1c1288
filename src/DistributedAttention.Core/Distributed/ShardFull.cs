using DistributedAttention.Core.Attention;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Distributed;

/// <summary>Exact full attention on a shard: Ring Attention (rotate), causal blocks from later shards skipped.</summary>
internal static class ShardFull
{
    public static Task<AttentionResult> ForwardAsync(ShardContext c, Tensor qs, Tensor kf, Tensor vf)
    {
        var (n, start, causal) = (c.Length, c.Start, c.Spec.Causal);
        var positions = HeadLayout.Range(start, c.End - start);
        return ShardRotation.AccumulateAsync(c, kf, vf, "full", (k, v, keyStart) =>
        {
            var kernel = new IntervalAttention { QueryBlock = 256, KeyChunk = 1024 };
            try
            {
                return kernel.Forward(qs, k, v, positions, keyStart, i => (0, causal ? i : n - 1));
            }
            finally
            {
                kernel.ClearMasks();
            }
        }, skip: causal ? owner => owner > c.Shard : null);
    }
}
