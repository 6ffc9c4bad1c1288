using DistributedAttention.Contracts;
using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// Sliding-window attention (Longformer), bidirectional or causal, with dilation, global tokens
/// and, for BigBird, seeded random key blocks. Time and memory are O(n·w).
/// </summary>
/// <remarks>
/// Dilation δ splits the sequence into δ interleaved subsequences (positions ≡ r mod δ): a
/// query only sees keys of its own residue, so each subsequence is a plain window (left, right)
/// and no work is spent on skipped keys.
/// </remarks>
public static class WindowAttention
{
    /// <summary>Window (and BigBird) attention over the whole sequence.</summary>
    /// <param name="spec">A Window or BigBird spec.</param>
    /// <param name="q">(batch, heads, n, d) queries.</param>
    /// <param name="k">(batch, heads, n, d) keys.</param>
    /// <param name="v">(batch, heads, n, dv) values.</param>
    /// <returns>Output (batch, heads, n, dv) and lse (batch, heads, n).</returns>
    public static AttentionResult Forward(AttentionSpec spec, Tensor q, Tensor k, Tensor v)
    {
        spec.Validate();
        HeadLayout.CheckInputs(q, k, v);
        if (q.shape[2] != k.shape[2]) throw new ArgumentException("window attention needs as many keys as queries (self-attention).");
        using var scope = NewDisposeScope();
        var n = q.shape[2];
        var qs = HeadLayout.ScaledQueries(q, HeadLayout.Scale(spec, q));
        var kf = HeadLayout.Flatten(k);
        var vf = HeadLayout.Flatten(v);

        var globals = GlobalTokens.Positions(spec, n);
        var fused = globals.Length > 0 && FusesGlobals(spec, n);
        var result = fused ? Band(spec, qs, 0, kf, vf, 0, n, GlobalKeysOf(spec, globals, kf, vf)) : Band(spec, qs, kf, vf);
        if (spec.Kind == AttentionKind.BigBird)
        {
            result = PartialMerge.Merge(result, BigBirdRandomBlocks.Partial(spec, qs, kf, vf));
        }
        if (globals.Length > 0)
        {
            if (!fused) result = PartialMerge.Merge(result, GlobalTokens.KeysPartial(spec, globals, qs, kf, vf));
            result = GlobalTokens.ReplaceGlobalRows(spec, globals, qs, kf, vf, result);
        }
        return HeadLayout.Unflatten(result, q.shape[0], q.shape[1]).MoveToOuterDisposeScope();
    }

    /// <summary>The banded part alone on flattened, pre-scaled inputs (bh, n, d) of the whole sequence.</summary>
    internal static AttentionResult Band(AttentionSpec spec, Tensor qs, Tensor k, Tensor v) =>
        Band(spec, qs, 0, k, v, 0, qs.shape[1]);

    /// <summary>
    /// The banded part for queries at positions <paramref name="queryStart"/>.. over the keys held
    /// at <paramref name="keyStart"/>.. (a shard's rows plus its halo), on flattened, pre-scaled
    /// inputs; <paramref name="n"/> is the whole sequence's length.
    /// </summary>
    public static AttentionResult Band(AttentionSpec spec, Tensor qs, long queryStart, Tensor k, Tensor v, long keyStart, long n) =>
        Band(spec, qs, queryStart, k, v, keyStart, n, null);

    /// <summary>
    /// <see cref="Band(AttentionSpec, Tensor, long, Tensor, Tensor, long, long)"/> that also scores
    /// <paramref name="globals"/> in the band's softmax (only where <see cref="FusesGlobals"/>).
    /// </summary>
    internal static AttentionResult Band(AttentionSpec spec, Tensor qs, long queryStart, Tensor k, Tensor v, long keyStart, long n, BlockBandAttention.GlobalKeys? globals) =>
        Band(spec, qs, queryStart, new HeldRows(k), new HeldRows(v), keyStart, n, globals);

    /// <summary>
    /// The banded part over keys and values held in pieces (a shard's rows between its halos):
    /// the block kernel reads them in place; the other paths join them first.
    /// </summary>
    internal static AttentionResult Band(AttentionSpec spec, Tensor qs, long queryStart, HeldRows heldKeys, HeldRows heldValues, long keyStart, long n, BlockBandAttention.GlobalKeys? globals)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (globals is not null && !FusesGlobals(spec, n)) throw new ArgumentException("this band cannot take the global keys in its softmax.", nameof(globals));
        var left = (long?)spec.WindowLeft ?? n;
        var right = (long?)spec.EffectiveRight ?? n;
        if (spec.Dilation == 1 && BlockBandAttention.Applies(left, right))
        {
            return BlockBandAttention.Forward(qs, queryStart, heldKeys, heldValues, keyStart, left, right, globals, spec.LogitSoftCap);
        }
        using var k = heldKeys.Whole();
        using var v = heldValues.Whole();
        return JoinedBand(spec, qs, queryStart, k, v, keyStart, left, right, globals);
    }

    /// <summary>The band over keys and values in one tensor each: dilated windows (a plain window per residue) and wide ones (in key chunks).</summary>
    private static AttentionResult JoinedBand(AttentionSpec spec, Tensor qs, long queryStart, Tensor k, Tensor v, long keyStart, long left, long right, BlockBandAttention.GlobalKeys? globals)
    {
        var nq = qs.shape[1];
        var nk = k.shape[1];
        var kernel = new IntervalAttention { QueryBlock = 64, KeyChunk = 4096, SoftCap = spec.LogitSoftCap };
        // Narrow bands go many query blocks per op; wide ones a block at a time in key chunks.
        AttentionResult Plain(Tensor queries, long qStart, Tensor keys, Tensor values, long kStart) =>
            BlockBandAttention.Applies(left, right)
                ? BlockBandAttention.Forward(queries, qStart, keys, values, kStart, left, right, globals, spec.LogitSoftCap)
                : kernel.Forward(queries, keys, values, HeadLayout.Range(qStart, queries.shape[1]), kStart, i => (i - left, i + right));
        try
        {
            var delta = spec.Dilation;
            if (delta == 1)
            {
                return Plain(qs, queryStart, k, v, keyStart);
            }

            using var scope = NewDisposeScope();
            var output = zeros(qs.shape[0], nq, v.shape[2], dtype: qs.dtype, device: qs.device);
            var lse = full(qs.shape[0], nq, KeptScalars.NegativeInfinity, dtype: qs.dtype, device: qs.device);
            for (var r = 0; r < delta; r++)
            {
                // Positions ≡ r (mod δ): in subsequence coordinates (p - r) / δ the window is plain (left, right).
                var qFirst = Residue(r - queryStart, delta);
                var kFirst = Residue(r - keyStart, delta);
                if (qFirst >= nq || kFirst >= nk) continue;
                using var s = new ScalarScope();
                var qIndex = arange(s[qFirst], s[nq], s[delta], dtype: int64, device: qs.device);
                var kIndex = arange(s[kFirst], s[nk], s[delta], dtype: int64, device: qs.device);
                var subQueryStart = (queryStart + qFirst - r) / delta;
                var subKeyStart = (keyStart + kFirst - r) / delta;
                using var part = Plain(qs.index_select(1, qIndex), subQueryStart, k.index_select(1, kIndex), v.index_select(1, kIndex), subKeyStart);
                output = InPlace.IndexCopy(output, 1, qIndex, part.Output);
                lse = InPlace.IndexCopy(lse, 1, qIndex, part.Lse!);
            }
            return new AttentionResult(output, lse).MoveToOuterDisposeScope();
        }
        finally
        {
            kernel.ClearMasks();
        }
    }

    private static long Residue(long x, long m) => ((x % m) + m) % m;

    /// <summary>
    /// Whether the band kernel scores the global keys in its own softmax (plain windows without
    /// dilation), so no separate partial over them is computed and merged.
    /// </summary>
    internal static bool FusesGlobals(AttentionSpec spec, long n) =>
        spec.Kind == AttentionKind.Window && spec.Dilation == 1
        && BlockBandAttention.Applies((long?)spec.WindowLeft ?? n, (long?)spec.EffectiveRight ?? n);

    /// <summary>The global keys of a whole sequence's flattened k and v.</summary>
    private static BlockBandAttention.GlobalKeys GlobalKeysOf(AttentionSpec spec, long[] globals, Tensor k, Tensor v)
    {
        using var index = tensor(globals, dtype: int64, device: k.device);
        return new BlockBandAttention.GlobalKeys(globals, k.index_select(1, index), v.index_select(1, index), spec.Causal);
    }

    /// <summary>
    /// Whether key position <paramref name="j"/> (any shape) lies in the dilated window of query
    /// position <paramref name="i"/> (broadcastable), causality included.
    /// </summary>
    internal static Tensor InWindow(AttentionSpec spec, Tensor i, Tensor j)
    {
        // i − left·δ ≤ j ≤ i + right·δ (a null side unbounded), (j − i) mod δ = 0, causal: j ≤ i.
        using var s = new ScalarScope();
        var offset = j.sub(i);
        var visible = spec.Causal ? offset.le(KeptScalars.Zero) : ones_like(offset, dtype: @bool);
        if (spec.WindowLeft is { } left) visible = visible.logical_and(offset.ge(s[-(long)left * spec.Dilation]));
        if (spec.EffectiveRight is { } right) visible = visible.logical_and(offset.le(s[(long)right * spec.Dilation]));
        if (spec.Dilation > 1) visible = visible.logical_and(offset.remainder(s[spec.Dilation]).eq(KeptScalars.Zero));
        return visible;
    }
}
