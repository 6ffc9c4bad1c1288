using DistributedAttention.Contracts;
using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// Transformer-XL and Compressive Transformer attention over a whole sequence in segments of
/// length S. A query in segment [s0, s0+S) sees its segment causally plus the memory: the M
/// tokens before s0. Compressive memory adds the Mc compressed slots just before that memory,
/// slot t being the mean of keys/values t·c .. t·c+c-1. Positions are absolute and the caller
/// applies a relative position scheme (RoPE) to q and k, so any split gives the same numbers.
/// </summary>
public static class SegmentMemoryAttention
{
    /// <summary>Transformer-XL or Compressive attention (by <see cref="AttentionSpec.Kind"/>).</summary>
    /// <param name="spec">A TransformerXl or Compressive spec.</param>
    /// <param name="q">(batch, heads, n, d) queries.</param>
    /// <param name="k">(batch, heads, n, d) keys.</param>
    /// <param name="v">(batch, heads, n, dv) values.</param>
    public static AttentionResult Forward(AttentionSpec spec, Tensor q, Tensor k, Tensor v)
    {
        spec.Validate();
        HeadLayout.CheckInputs(q, k, v);
        using var scope = NewDisposeScope();
        var n = q.shape[2];
        var qs = HeadLayout.ScaledQueries(q, HeadLayout.Scale(spec, q));
        var kf = HeadLayout.Flatten(k);
        var vf = HeadLayout.Flatten(v);
        var positions = HeadLayout.Range(0, n);
        var kernel = new IntervalAttention { QueryBlock = 64, KeyChunk = 4096 };
        var result = kernel.Forward(qs, kf, vf, positions, 0, i => MemoryInterval(spec, i));
        kernel.ClearMasks();
        if (spec.Kind == AttentionKind.Compressive)
        {
            var (kc, vc) = Compress(spec, kf, vf);
            if (kc.shape[1] > 0)
            {
                var slots = new IntervalAttention { QueryBlock = 64, KeyChunk = 4096 };
                var compressed = slots.Forward(qs, kc, vc, positions, 0, i => CompressedInterval(spec, i));
                slots.ClearMasks();
                result = PartialMerge.Merge(result, compressed);
            }
        }
        return HeadLayout.Unflatten(result, q.shape[0], q.shape[1]).MoveToOuterDisposeScope();
    }

    /// <summary>Raw keys visible to query <paramref name="i"/>: [segment start − M, i].</summary>
    public static (long Lo, long Hi) MemoryInterval(AttentionSpec spec, long i) =>
        (SegmentStart(spec, i) - spec.MemoryLength, i);

    /// <summary>Compressed slots visible to query <paramref name="i"/> (empty when Lo &gt; Hi).</summary>
    public static (long Lo, long Hi) CompressedInterval(AttentionSpec spec, long i)
    {
        var memoryStart = SegmentStart(spec, i) - spec.MemoryLength;
        if (memoryStart <= 0) return (0, -1);
        var end = memoryStart / spec.CompressionRate; // exact: S and M are multiples of c
        return (end - spec.CompressedLength, end - 1);
    }

    /// <summary>Mean-pools keys and values over full slots of c tokens: (bh, n / c, d).</summary>
    public static (Tensor Keys, Tensor Values) Compress(AttentionSpec spec, Tensor k, Tensor v)
    {
        var c = spec.CompressionRate;
        var slots = k.shape[1] / c;
        var kc = k.narrow(1, 0, slots * c).reshape(k.shape[0], slots, c, k.shape[2]).mean([2]);
        var vc = v.narrow(1, 0, slots * c).reshape(v.shape[0], slots, c, v.shape[2]).mean([2]);
        return (kc, vc);
    }

    private static long SegmentStart(AttentionSpec spec, long i) => i / spec.SegmentLength * spec.SegmentLength;
}
