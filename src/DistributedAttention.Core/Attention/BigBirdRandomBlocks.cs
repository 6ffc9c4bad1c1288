using DistributedAttention.Contracts;
using DistributedAttention.Core.Runtime;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// BigBird's random part: each query block of <see cref="AttentionSpec.BlockSize"/> tokens sees
/// <see cref="AttentionSpec.RandomBlocks"/> seeded key blocks, minus keys it already sees through
/// its window (global keys leave out random-block keys in turn, so the merge counts each key once).
/// </summary>
public static class BigBirdRandomBlocks
{
    private const int QueryBlocksPerStep = 64;

    /// <summary>(query blocks, r) table of random key block indices, -1 where a block has fewer.</summary>
    public static Tensor Table(AttentionSpec spec, long n, Device device)
    {
        var blocks = (int)((n + spec.BlockSize - 1) / spec.BlockSize);
        var r = Math.Max(spec.RandomBlocks, 1);
        var table = new long[blocks * r];
        Array.Fill(table, -1);
        for (var qb = 0; qb < blocks; qb++)
        {
            var chosen = BigBirdPattern.RandomKeyBlocks(spec.Seed, qb, blocks, spec.RandomBlocks, spec.Causal);
            for (var t = 0; t < chosen.Length; t++) table[qb * r + t] = chosen[t];
        }
        return tensor(table, [blocks, r], device: device);
    }

    /// <summary>Whether key <paramref name="j"/> is in a random block of query <paramref name="i"/> (broadcast (rows,1) × (1,cols)).</summary>
    public static Tensor InRandomBlocks(AttentionSpec spec, Tensor table, Tensor i, Tensor j)
    {
        using var s = new ScalarScope();
        var queryBlocks = table.index_select(0, i.div(s[spec.BlockSize], rounding_mode: RoundingMode.floor).flatten());
        var keyBlock = j.div(s[spec.BlockSize], rounding_mode: RoundingMode.floor);
        return queryBlocks.unsqueeze(1).eq(keyBlock.unsqueeze(-1)).any(-1);
    }

    /// <summary>The random-block partial for every query, on flattened pre-scaled inputs (bh, n, d).</summary>
    internal static AttentionResult Partial(AttentionSpec spec, Tensor qs, Tensor k, Tensor v) =>
        Partial(spec, qs, 0, k, v, 0, qs.shape[1]);

    /// <summary>
    /// The random-block partial of the queries at <paramref name="queryStart"/>.. over the keys
    /// held at <paramref name="keyStart"/>.. (keys of other shards are left out: merge the
    /// partials of every shard's keys). Only query blocks with a random block in the held keys
    /// are computed; the other rows get lse = -inf.
    /// </summary>
    /// <param name="spec">A BigBird spec.</param>
    /// <param name="qs">(bh, nq, d) pre-scaled queries.</param>
    /// <param name="queryStart">Absolute position of the first query.</param>
    /// <param name="k">(bh, nk, d) keys.</param>
    /// <param name="v">(bh, nk, dv) values.</param>
    /// <param name="keyStart">Absolute position of the first key.</param>
    /// <param name="n">Length of the whole sequence.</param>
    public static AttentionResult Partial(AttentionSpec spec, Tensor qs, long queryStart, Tensor k, Tensor v, long keyStart, long n)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using var scope = NewDisposeScope();
        using var s = new ScalarScope();
        var (bh, nq, nk) = (qs.shape[0], qs.shape[1], k.shape[1]);
        var b = (long)spec.BlockSize;
        var r = Math.Max(spec.RandomBlocks, 1);
        var output = zeros(bh, nq, v.shape[2], dtype: qs.dtype, device: qs.device);
        var lse = full(bh, nq, KeptScalars.NegativeInfinity, dtype: qs.dtype, device: qs.device);
        if (nq == 0 || nk == 0) return new AttentionResult(output, lse).MoveToOuterDisposeScope();

        var table = Table(spec, n, qs.device);
        var firstBlock = queryStart / b;
        var blockCount = (queryStart + nq - 1) / b - firstBlock + 1;
        var touching = TouchingBlocks(table, firstBlock, blockCount, b, keyStart, keyStart + nk);
        if (touching.Length == 0) return new AttentionResult(output, lse).MoveToOuterDisposeScope();

        // Queries padded to whole blocks: (bh, blocks, b, d); outputs likewise, cut back at the end.
        var front = queryStart - firstBlock * b;
        var padded = PadRows(qs, front, blockCount * b - front - nq).reshape(bh, blockCount, b, -1);
        var blockOutput = zeros(bh, blockCount, b, v.shape[2], dtype: qs.dtype, device: qs.device);
        var blockLse = full(bh, blockCount, b, KeptScalars.NegativeInfinity, dtype: qs.dtype, device: qs.device);
        var offsets = arange(s[b], dtype: int64, device: qs.device);
        for (var first = 0; first < touching.Length; first += QueryBlocksPerStep)
        {
            using var stepScope = NewDisposeScope();
            var count = Math.Min(QueryBlocksPerStep, touching.Length - first);
            var local = tensor(touching.AsSpan(first, count).ToArray(), device: qs.device);
            var absolute = local.add(s[firstBlock], KeptScalars.One);
            // Key positions (count, r·b); -1 blocks, positions past n and keys not held here are masked.
            var keyBlocks = table.index_select(0, absolute);
            var keyPos = keyBlocks.unsqueeze(-1).mul(s[b]).add(offsets, KeptScalars.One).reshape(count, r * b);
            var validKey = keyBlocks.ge(KeptScalars.Zero).unsqueeze(-1).expand(count, r, b).reshape(count, r * b)
                .logical_and(keyPos.lt(s[n])).logical_and(keyPos.ge(s[keyStart])).logical_and(keyPos.lt(s[keyStart + nk]));
            var localKey = keyPos.sub(s[keyStart]).clamp(KeptScalars.Zero, s[nk - 1]);
            var queryPos = absolute.unsqueeze(-1).mul(s[b]).add(offsets, KeptScalars.One);

            var i = queryPos.unsqueeze(-1);
            var j = keyPos.clamp(KeptScalars.Zero, s[n - 1]).unsqueeze(1);
            var visible = validKey.unsqueeze(1).logical_and(WindowAttention.InWindow(spec, i, j).logical_not());
            if (spec.Causal) visible = visible.logical_and(j.le(i));

            var qBlocks = padded.index_select(1, local).reshape(bh * count, b, -1);
            var kGathered = k.index_select(1, localKey.flatten()).reshape(bh * count, r * b, -1);
            var vGathered = v.index_select(1, localKey.flatten()).reshape(bh * count, r * b, -1);
            var scores = InPlace.MaskedFill(bmm(qBlocks, kGathered.transpose(1, 2)).reshape(bh, count, b, r * b), visible.logical_not(), KeptScalars.NegativeInfinity);
            var softmax = new OnlineSoftmax();
            softmax.Add(scores.reshape(bh * count, b, r * b), vGathered);
            var (o, l) = softmax.Finish();
            blockOutput = InPlace.IndexCopyKept(blockOutput, 1, local, o.reshape(bh, count, b, -1));
            blockLse = InPlace.IndexCopyKept(blockLse, 1, local, l.reshape(bh, count, b));
        }
        output = blockOutput.reshape(bh, blockCount * b, -1).narrow(1, front, nq).contiguous();
        lse = blockLse.reshape(bh, blockCount * b).narrow(1, front, nq).contiguous();
        return new AttentionResult(output, lse).MoveToOuterDisposeScope();
    }

    /// <summary>Local indices of the query blocks with a random key block overlapping [keyLo, keyHi).</summary>
    private static long[] TouchingBlocks(Tensor table, long firstBlock, long blockCount, long b, long keyLo, long keyHi)
    {
        using var scope = NewDisposeScope();
        using var s = new ScalarScope();
        var keyBlocks = table.narrow(0, firstBlock, blockCount);
        var starts = keyBlocks.mul(s[b]);
        var hit = keyBlocks.ge(KeptScalars.Zero).logical_and(starts.lt(s[keyHi])).logical_and(starts.add(s[b], KeptScalars.One).gt(s[keyLo])).any(1);
        return hit.nonzero().flatten().data<long>().ToArray();
    }

    private static Tensor PadRows(Tensor x, long front, long back) =>
        front == 0 && back == 0 ? x : nn.functional.pad(x, [0, 0, front, back]);
}
