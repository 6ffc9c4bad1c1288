using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// BigBird's random part: each query block of <see cref="AttentionSpec.BlockSize"/> tokens sees
/// <see cref="AttentionSpec.RandomBlocks"/> seeded key blocks, minus keys it already sees through
/// its window (global keys leave out random-block keys in turn, so the merge counts each key once).
/// </summary>
internal static class BigBirdRandomBlocks
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
        var queryBlocks = table.index_select(0, i.div(spec.BlockSize, rounding_mode: RoundingMode.floor).flatten());
        var keyBlock = j.div(spec.BlockSize, rounding_mode: RoundingMode.floor);
        return queryBlocks.unsqueeze(1).eq(keyBlock.unsqueeze(-1)).any(-1);
    }

    /// <summary>The random-block partial for every query, on flattened pre-scaled inputs (bh, n, d).</summary>
    public static AttentionResult Partial(AttentionSpec spec, Tensor qs, Tensor k, Tensor v)
    {
        using var scope = NewDisposeScope();
        var n = qs.shape[1];
        var b = (long)spec.BlockSize;
        var r = Math.Max(spec.RandomBlocks, 1);
        var bh = qs.shape[0];
        var table = Table(spec, n, qs.device);
        var blocks = table.shape[0];

        var output = empty(bh, n, v.shape[2], dtype: qs.dtype, device: qs.device);
        var lse = empty(bh, n, dtype: qs.dtype, device: qs.device);
        var offsets = arange(b, dtype: int64, device: qs.device);
        for (long first = 0; first < blocks; first += QueryBlocksPerStep)
        {
            using var stepScope = NewDisposeScope();
            var count = Math.Min(QueryBlocksPerStep, blocks - first);
            // Key positions (count, r·b); -1 blocks and positions past n are masked below.
            var keyBlocks = table.narrow(0, first, count);
            var keyPos = keyBlocks.unsqueeze(-1).mul(b).add(offsets).reshape(count, r * b);
            var validKey = keyBlocks.ge(0).unsqueeze(-1).expand(count, r, b).reshape(count, r * b).logical_and(keyPos.lt(n));
            var safeKeyPos = keyPos.clamp(0, n - 1);
            // Query positions (count, b), padded past n.
            var queryPos = arange(first * b, (first + count) * b, dtype: int64, device: qs.device).reshape(count, b);
            var rows = Math.Min(count * b, n - first * b);

            var i = queryPos.unsqueeze(-1);
            var j = safeKeyPos.unsqueeze(1);
            var visible = validKey.unsqueeze(1).logical_and(WindowAttention.InWindow(spec, i, j).logical_not());
            if (spec.Causal) visible = visible.logical_and(j.le(i));

            var qBlocks = PadRows(qs.narrow(1, first * b, rows), count * b).reshape(bh * count, b, -1);
            var kGathered = k.index_select(1, safeKeyPos.flatten()).reshape(bh * count, r * b, -1);
            var vGathered = v.index_select(1, safeKeyPos.flatten()).reshape(bh * count, r * b, -1);
            var scores = bmm(qBlocks, kGathered.transpose(1, 2)).reshape(bh, count, b, r * b);
            scores.masked_fill_(visible.logical_not(), float.NegativeInfinity);
            var softmax = new OnlineSoftmax();
            softmax.Add(scores.reshape(bh * count, b, r * b), vGathered);
            var (o, l) = softmax.Finish();
            output.narrow(1, first * b, rows).copy_(o.reshape(bh, count * b, -1).narrow(1, 0, rows));
            lse.narrow(1, first * b, rows).copy_(l.reshape(bh, count * b).narrow(1, 0, rows));
        }
        return new AttentionResult(output, lse).MoveToOuterDisposeScope();
    }

    private static Tensor PadRows(Tensor x, long rows) =>
        x.shape[1] == rows ? x : nn.functional.pad(x, [0, 0, 0, rows - x.shape[1]]);
}
