using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// The workhorse kernel: each query row <c>i</c> sees the keys whose absolute positions lie in
/// one interval <c>[lo(i), hi(i)]</c>. Sliding windows (causal or not), Transformer-XL segments,
/// exact full attention and global query rows are all this shape. Queries go in blocks; each
/// block's visible key range goes in chunks with online softmax (FlashAttention's idea), so
/// memory is O(block × chunk) and time O(n · visible keys). Masks depend only on the pattern of
/// a block relative to its keys, so one additive mask serves every interior block.
/// </summary>
internal sealed class IntervalAttention
{
    private readonly Dictionary<MaskKey, Tensor> masks = [];

    /// <summary>Queries per block.</summary>
    public int QueryBlock { get; init; } = 64;

    /// <summary>Most keys scored at once per query block.</summary>
    public int KeyChunk { get; init; } = 2048;

    /// <summary>Soft-cap of the scores (<see cref="Contracts.AttentionSpec.LogitSoftCap"/>); null: none.</summary>
    public double? SoftCap { get; init; }

    /// <summary>
    /// Partial attention of queries at <paramref name="queryPositions"/> over keys at positions
    /// <c>keyStart .. keyStart + nk - 1</c>, each query limited to <paramref name="interval"/>.
    /// </summary>
    /// <param name="q">(bh, nq, d) queries, already multiplied by the softmax scale.</param>
    /// <param name="k">(bh, nk, d) keys.</param>
    /// <param name="v">(bh, nk, dv) values.</param>
    /// <param name="queryPositions">Absolute position of each query row (length nq).</param>
    /// <param name="keyStart">Absolute position of the first key row.</param>
    /// <param name="interval">Inclusive visible key interval of a query position.</param>
    /// <returns>(o (bh, nq, dv), lse (bh, nq)); rows that see nothing get o = 0, lse = -inf.</returns>
    public AttentionResult Forward(Tensor q, Tensor k, Tensor v, long[] queryPositions, long keyStart, Func<long, (long Lo, long Hi)> interval)
    {
        var bh = q.shape[0];
        var nq = q.shape[1];
        var nk = k.shape[1];
        var dv = v.shape[2];
        var output = zeros(bh, nq, dv, dtype: q.dtype, device: q.device);
        var lse = full(bh, nq, KeptScalars.NegativeInfinity, dtype: q.dtype, device: q.device);
        var lo = new long[QueryBlock];
        var hi = new long[QueryBlock];

        for (long start = 0; start < nq; start += QueryBlock)
        {
            var rows = (int)Math.Min(QueryBlock, nq - start);
            // Visible range of the block, relative to the first key row, clipped to the keys we hold.
            long blockLo = long.MaxValue, blockHi = long.MinValue;
            for (var r = 0; r < rows; r++)
            {
                var (l, h) = interval(queryPositions[start + r]);
                lo[r] = Math.Max(l - keyStart, 0);
                hi[r] = Math.Min(h - keyStart, nk - 1);
                if (lo[r] > hi[r]) continue;
                blockLo = Math.Min(blockLo, lo[r]);
                blockHi = Math.Max(blockHi, hi[r]);
            }
            if (blockLo > blockHi) continue;

            using var scope = NewDisposeScope();
            var qBlock = q.narrow(1, start, rows);
            var state = new OnlineSoftmax();
            for (var c0 = blockLo; c0 <= blockHi; c0 += KeyChunk)
            {
                // A scope per chunk: the block's scope would keep every chunk's scores (for global
                // rows over a shard, hundreds of MB of fresh memory) until the block ends.
                using var chunkScope = NewDisposeScope();
                var width = Math.Min(KeyChunk, blockHi - c0 + 1);
                var mask = MaskFor(lo.AsSpan(0, rows), hi.AsSpan(0, rows), c0, width, q.dtype, q.device);
                var scores = InPlace.SoftCap(bmm(qBlock, k.narrow(1, c0, width).transpose(1, 2)), SoftCap);
                if (mask is not null) scores = InPlace.Add(scores, mask);
                state.Add(scores, v.narrow(1, c0, width));
                state.KeepBeyondScope();
            }
            var (blockOutput, blockLse) = state.Finish();
            output.narrow(1, start, rows).copy_(blockOutput);
            lse.narrow(1, start, rows).copy_(blockLse);
        }
        return new AttentionResult(output, lse);
    }

    /// <summary>Drops the cached masks.</summary>
    public void ClearMasks()
    {
        foreach (var m in masks.Values) m.Dispose();
        masks.Clear();
    }

    /// <summary>The additive mask of a chunk, or null when every row sees the whole chunk.</summary>
    private Tensor? MaskFor(ReadOnlySpan<long> lo, ReadOnlySpan<long> hi, long c0, long width, ScalarType dtype, Device device)
    {
        var rows = lo.Length;
        var relLo = new int[rows];
        var relHi = new int[rows];
        var full = true;
        for (var r = 0; r < rows; r++)
        {
            relLo[r] = (int)Math.Clamp(lo[r] - c0, 0, width);
            relHi[r] = (int)Math.Clamp(hi[r] - c0, -1, width - 1);
            full &= relLo[r] == 0 && relHi[r] == width - 1;
        }
        if (full) return null;

        var key = new MaskKey(relLo, relHi, (int)width);
        if (masks.TryGetValue(key, out var cached)) return cached;
        if (masks.Count >= 256) ClearMasks();

        using var scope = NewDisposeScope();
        using var stop = width.ToScalar();
        var j = arange(stop, dtype: int32, device: device).unsqueeze(0);
        var visible = j.ge(tensor(relLo, device: device).unsqueeze(1)).logical_and(j.le(tensor(relHi, device: device).unsqueeze(1)));
        var mask = zeros(rows, width, dtype: dtype, device: device).masked_fill_(visible.logical_not(), KeptScalars.NegativeInfinity);
        mask.DetachFromDisposeScope();
        masks[key] = mask;
        return mask;
    }

    private sealed class MaskKey(int[] lo, int[] hi, int width) : IEquatable<MaskKey>
    {
        private readonly int hash = ComputeHash(lo, hi, width);

        public bool Equals(MaskKey? other) =>
            other is not null && width == other.Width && lo.AsSpan().SequenceEqual(other.Lo) && hi.AsSpan().SequenceEqual(other.Hi);

        public override bool Equals(object? obj) => Equals(obj as MaskKey);

        public override int GetHashCode() => hash;

        private int[] Lo => lo;

        private int[] Hi => hi;

        private int Width => width;

        private static int ComputeHash(int[] lo, int[] hi, int width)
        {
            var h = new HashCode();
            h.Add(width);
            foreach (var x in lo) h.Add(x);
            foreach (var x in hi) h.Add(x);
            return h.ToHashCode();
        }
    }
}
