using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// A sliding window over contiguous queries and keys, many query blocks per tensor op. Query
/// block b (rows b·B .. b·B+B-1) sees one span of B + left + right keys that starts b·B keys
/// further than block 0's: the spans are strided views of the keys (unfold), so a group of blocks
/// is one batched matmul, one softmax and one more matmul, and every interior block shares one
/// band mask. <see cref="IntervalAttention"/> runs a block at a time: at small head dims (16,
/// 32) its dozen tensor ops per 64 queries cost more than their arithmetic.
/// </summary>
/// <remarks>
/// Each row scores B + left + right keys of which at most left + right + 1 are visible, so narrow
/// windows waste less with small blocks; edge groups (keys missing before the first or past the
/// last held key) get a mask of their own. Results equal <see cref="IntervalAttention"/>'s up to
/// float rounding: the same keys, one softmax instead of an online one.
/// </remarks>
internal static class BlockBandAttention
{
    /// <summary>Queries per block.</summary>
    public const int Block = 32;

    /// <summary>Score elements a group of blocks aims at (4 MiB of fp32): large enough for libtorch to split each op over its threads (2^18 ran 1.5x slower on 2 threads, 2^22 too), small enough for the cache.</summary>
    private const long GroupScores = 1L << 20;

    // Stand-in for -inf when subtracting a row max, so a row that sees no key gives exp(-inf) = 0.
    private const float FloorMax = -1e30f;
    private static readonly Scalar Floor = FloorMax.ToScalar();
    private static readonly Scalar Tiny = float.Epsilon.ToScalar();

    /// <summary>Whether the band is narrow enough for whole spans per block (wider ones go in key chunks).</summary>
    public static bool Applies(long left, long right) => left >= 0 && right >= 0 && left + right <= 4096;

    /// <summary>
    /// Attention of queries at positions <paramref name="queryStart"/>.. over the keys held at
    /// <paramref name="keyStart"/>.., each query <c>i</c> seeing the held keys in [i − left, i + right].
    /// </summary>
    /// <param name="q">(bh, nq, d) queries, already multiplied by the softmax scale.</param>
    /// <param name="queryStart">Absolute position of the first query row.</param>
    /// <param name="k">(bh, nk, d) keys.</param>
    /// <param name="v">(bh, nk, dv) values.</param>
    /// <param name="keyStart">Absolute position of the first key row.</param>
    /// <param name="left">Keys visible before a query.</param>
    /// <param name="right">Keys visible after a query.</param>
    /// <param name="globals">Global keys every query also sees, outside its window; null: none.</param>
    /// <param name="softCap">Soft-cap of the scores; null: none.</param>
    /// <returns>(o (bh, nq, dv), lse (bh, nq)); rows that see nothing get o = 0, lse = -inf.</returns>
    public static AttentionResult Forward(Tensor q, long queryStart, Tensor k, Tensor v, long keyStart, long left, long right, GlobalKeys? globals = null, double? softCap = null) =>
        Forward(q, queryStart, new HeldRows(k), new HeldRows(v), keyStart, left, right, globals, softCap);

    /// <summary>
    /// <see cref="Forward(Tensor, long, Tensor, Tensor, long, long, long, GlobalKeys?, double?)"/> over keys and
    /// values held in pieces (a shard's rows and its halos), copying only the spans that cross pieces.
    /// </summary>
    public static AttentionResult Forward(Tensor q, long queryStart, HeldRows k, HeldRows v, long keyStart, long left, long right, GlobalKeys? globals = null, double? softCap = null)
    {
        var bh = q.shape[0];
        var nq = q.shape[1];
        var nk = k.Length;
        var dv = v.First.shape[2];
        var width = Block + left + right;
        var output = empty(bh, nq, dv, dtype: q.dtype, device: q.device);
        var lse = empty(bh, nq, dtype: q.dtype, device: q.device);
        var blocks = (nq + Block - 1) / Block;
        var g = globals?.Positions.Length ?? 0;
        // Each row scores its block's span and then the global keys: one softmax over width + G columns.
        var columns = width + g;
        var group = Math.Max(1, GroupScores / (bh * Block * columns));
        // Key index (in held-key coordinates) of block 0's first column.
        var firstKey = queryStart - keyStart - left;

        using var band = BandMask(width, left + right, q.dtype, q.device);
        using var bandAndGlobals = g == 0 ? band.alias() : cat([band, zeros(Block, g, dtype: q.dtype, device: q.device)], 1);
        using var globalPositions = globals is null ? null : tensor(globals.Positions, dtype: int64, device: q.device).unsqueeze(0);
        for (long b0 = 0; b0 < blocks; b0 += group)
        {
            using var scope = NewDisposeScope();
            var count = Math.Min(group, blocks - b0);
            var rows = Math.Min(count * Block, nq - b0 * Block);
            var spanStart = firstKey + b0 * Block;
            var spanLength = (count - 1) * Block + width;
            var interior = spanStart >= 0 && spanStart + spanLength <= nk && rows == count * Block;

            var qb = q.narrow(1, b0 * Block, rows);
            if (rows < count * Block) qb = nn.functional.pad(qb, [0, 0, 0, count * Block - rows]);
            qb = qb.reshape(bh * count, Block, -1);
            var (ks, vs, mask) = interior
                ? (k.Slice(spanStart, spanLength), v.Slice(spanStart, spanLength), band)
                : EdgeSpan(k, v, spanStart, spanLength, band, count);
            // (bh, count, d, width) and (bh, count, width, dv) views of the spans, then the global keys.
            var kw = ks.unfold(1, width, Block);
            var vw = vs.unfold(1, width, Block).transpose(2, 3);
            if (globals is not null)
            {
                kw = cat([kw, globals.Keys.transpose(1, 2).unsqueeze(1).expand(bh, count, -1, g)], 3);
                vw = cat([vw, globals.Values.unsqueeze(1).expand(bh, count, g, -1)], 2);
                var hidden = GlobalMask(globals, globalPositions!, queryStart + b0 * Block, count * Block, left, right, q.dtype);
                mask = interior && hidden is null
                    ? bandAndGlobals
                    : cat([mask.expand(1, count, Block, width), (hidden ?? zeros(count * Block, g, dtype: q.dtype, device: q.device)).view(1, count, Block, g)], 3);
            }
            // Interior masks are (Block, columns), the others (1, count, Block, columns).
            var scores = InPlace.Add(InPlace.SoftCap(bmm(qb, kw.reshape(bh * count, -1, columns)), softCap).view(bh, count, Block, columns), mask).view(bh * count, Block, columns);
            var max = InPlace.ClampMin(scores.amax([-1], keepdim: true), Floor);
            scores = InPlace.Exp(InPlace.Sub(scores, max));
            var sum = scores.sum(-1, keepdim: true);
            var blockOutput = InPlace.Div(bmm(scores, vw.reshape(bh * count, columns, dv)), sum.clamp_min(Tiny));
            Store(output, lse, b0 * Block, rows, blockOutput.view(bh, count * Block, dv), InPlace.Lse(max, sum).view(bh, count * Block));
        }
        return new AttentionResult(output, lse);
    }

    private static void Store(Tensor output, Tensor lse, long first, long rows, Tensor blockOutput, Tensor blockLse)
    {
        output.narrow(1, first, rows).copy_(blockOutput.narrow(1, 0, rows));
        lse.narrow(1, first, rows).copy_(blockLse.narrow(1, 0, rows));
    }

    /// <summary>
    /// The additive (rows, G) mask of the global keys for the queries at <paramref name="first"/>..:
    /// a global key inside a query's window is already one of its band's columns (counted once),
    /// and a causal query does not see later keys. Null when no row of the group hides any.
    /// </summary>
    private static Tensor? GlobalMask(GlobalKeys globals, Tensor positions, long first, long rows, long left, long right, ScalarType dtype)
    {
        var last = first + rows - 1;
        // Without causality only globals within a window's reach of the group's rows are hidden from any of them.
        var near = globals.Positions.Any(g => g >= first - left && g <= last + right);
        var later = globals.Causal && globals.Positions.Any(g => g > first);
        if (!near && !later) return null;
        using var s = new ScalarScope();
        using var scope = NewDisposeScope();
        var offset = positions.sub(arange(s[first], s[first + rows], dtype: int64, device: positions.device).unsqueeze(1));
        var hidden = offset.ge(s[-left]).logical_and(offset.le(s[right]));
        if (globals.Causal) hidden = hidden.logical_or(offset.gt(KeptScalars.Zero));
        return zeros(rows, positions.shape[1], dtype: dtype, device: positions.device).masked_fill_(hidden, KeptScalars.NegativeInfinity).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The (Block, width) additive band: row r sees columns r .. r + span (its window inside the
    /// block's key span).
    /// </summary>
    private static Tensor BandMask(long width, long span, ScalarType dtype, Device device)
    {
        using var s = new ScalarScope();
        using var scope = NewDisposeScope();
        var column = arange(s[width], dtype: int64, device: device).unsqueeze(0);
        var row = arange(s[Block], dtype: int64, device: device).unsqueeze(1);
        var visible = column.ge(row).logical_and(column.le(row.add(s[span], KeptScalars.One)));
        return zeros(Block, width, dtype: dtype, device: device).masked_fill_(visible.logical_not(), KeptScalars.NegativeInfinity).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A span that runs past the held keys: zero-padded copies of the keys and values and a mask
    /// (1, count, Block, width) that also hides the padding.
    /// </summary>
    private static (Tensor Keys, Tensor Values, Tensor Mask) EdgeSpan(HeldRows k, HeldRows v, long spanStart, long spanLength, Tensor band, long count)
    {
        var nk = k.Length;
        var from = Math.Clamp(spanStart, 0, nk);
        var to = Math.Clamp(spanStart + spanLength, 0, nk);
        var before = from - spanStart;
        var after = spanStart + spanLength - Math.Max(to, from);
        Tensor Padded(HeldRows t) => nn.functional.pad(t.Slice(from, Math.Max(to - from, 0)), [0, 0, before, after]);

        // Column c of block j is key spanStart + j·Block + c: hidden where that is outside [0, nk).
        var width = band.shape[1];
        using var s = new ScalarScope();
        var device = k.First.device;
        var blockStarts = arange(s[count], dtype: int64, device: device).mul_(s[Block]).add_(s[spanStart], KeptScalars.One);
        var key = arange(s[width], dtype: int64, device: device).unsqueeze(0).add(blockStarts.unsqueeze(1), KeptScalars.One);
        var missing = key.lt(KeptScalars.Zero).logical_or(key.ge(s[nk])).unsqueeze(1);
        var mask = band.unsqueeze(0).masked_fill(missing, KeptScalars.NegativeInfinity).unsqueeze(0);
        return (Padded(k), Padded(v), mask);
    }

    /// <summary>Global keys every query sees besides its window.</summary>
    /// <param name="Positions">Sorted absolute positions of the global tokens.</param>
    /// <param name="Keys">(bh, G, d) their keys.</param>
    /// <param name="Values">(bh, G, dv) their values.</param>
    /// <param name="Causal">Whether a query sees only global keys at or before it.</param>
    public sealed record GlobalKeys(long[] Positions, Tensor Keys, Tensor Values, bool Causal);
}
