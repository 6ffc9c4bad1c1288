using DistributedAttention.Core.Attention;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Distributed;

/// <summary>
/// Exact full attention on a shard: Ring Attention. Non-causal, K/V blocks rotate P−1 steps.
/// Causal, the work is load-balanced (<see cref="ShardCausalRing"/>) so no shard computes more
/// than ⌈(P−1)/2⌉ visiting blocks, where a plain ring gives the last shard P−1.
/// </summary>
internal static class ShardFull
{
    public static Task<AttentionResult> ForwardAsync(ShardContext c, Tensor qs, Tensor kf, Tensor vf)
    {
        if (c.Spec.Causal) return ShardCausalRing.ForwardAsync(c, qs, kf, vf);
        var n = c.Length;
        var positions = HeadLayout.Range(c.Start, c.End - c.Start);
        return ShardRotation.AccumulateAsync(c, kf, vf, "full", (k, v, keyStart) => Block(qs, positions, c.ExpandKv(k), c.ExpandKv(v), keyStart, _ => n - 1, c.Spec.LogitSoftCap), skip: null);
    }

    /// <summary>Partial of queries at <paramref name="positions"/> over one block of keys, keys visible up to hi(i).</summary>
    public static AttentionResult Block(Tensor q, long[] positions, Tensor k, Tensor v, long keyStart, Func<long, long> hi, double? softCap)
    {
        var kernel = new IntervalAttention { QueryBlock = 256, KeyChunk = 1024, SoftCap = softCap };
        try
        {
            return kernel.Forward(q, k, v, positions, keyStart, i => (0, hi(i)));
        }
        finally
        {
            kernel.ClearMasks();
        }
    }
}
