using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// Longformer's symmetric global tokens: every query sees the global keys (a small partial
/// merged into the window result), and every global query sees all keys (its rows replaced by
/// exact blockwise attention).
/// </summary>
internal static class GlobalTokens
{
    private const int QueryChunk = 4096;

    /// <summary>Sorted, distinct global positions below n.</summary>
    public static long[] Positions(AttentionSpec spec, long n) =>
        spec.GlobalPositions.Where(p => p < n).Distinct().Order().ToArray();

    /// <summary>
    /// Partial over the global keys for every query, leaving out keys the query already sees
    /// through its window (and, for BigBird, its random blocks), so the merge counts each key once.
    /// </summary>
    public static AttentionResult KeysPartial(AttentionSpec spec, long[] globals, Tensor qs, Tensor k, Tensor v)
    {
        using var scope = NewDisposeScope();
        var n = qs.shape[1];
        var g = tensor(globals, device: qs.device);
        var kg = k.index_select(1, g);
        var vg = v.index_select(1, g);
        var output = empty(qs.shape[0], n, v.shape[2], dtype: qs.dtype, device: qs.device);
        var lse = empty(qs.shape[0], n, dtype: qs.dtype, device: qs.device);
        var randomBlocks = spec.Kind == AttentionKind.BigBird ? BigBirdRandomBlocks.Table(spec, n, qs.device) : null;
        for (long start = 0; start < n; start += QueryChunk)
        {
            using var chunkScope = NewDisposeScope();
            var rows = Math.Min(QueryChunk, n - start);
            var i = arange(start, start + rows, dtype: int64, device: qs.device).unsqueeze(1);
            var j = g.unsqueeze(0);
            var hidden = WindowAttention.InWindow(spec, i, j);
            if (randomBlocks is not null) hidden = hidden.logical_or(BigBirdRandomBlocks.InRandomBlocks(spec, randomBlocks, i, j));
            var visible = hidden.logical_not();
            if (spec.Causal) visible = visible.logical_and(j.le(i));
            var scores = bmm(qs.narrow(1, start, rows), kg.transpose(1, 2));
            scores.masked_fill_(visible.logical_not(), float.NegativeInfinity);
            var softmax = new OnlineSoftmax();
            softmax.Add(scores, vg);
            var (o, l) = softmax.Finish();
            output.narrow(1, start, rows).copy_(o);
            lse.narrow(1, start, rows).copy_(l);
        }
        return new AttentionResult(output, lse).MoveToOuterDisposeScope();
    }

    /// <summary>Overwrites the rows of global queries with attention over every key (causal: j ≤ i).</summary>
    public static void ReplaceGlobalRows(AttentionSpec spec, long[] globals, Tensor qs, Tensor k, Tensor v, AttentionResult result)
    {
        using var scope = NewDisposeScope();
        var n = k.shape[1];
        var g = tensor(globals, device: qs.device);
        var kernel = new IntervalAttention { QueryBlock = 256, KeyChunk = 4096 };
        using var rows = kernel.Forward(qs.index_select(1, g), k, v, globals, 0, i => (0, spec.Causal ? i : n - 1));
        kernel.ClearMasks();
        result.Output.index_copy_(1, g, rows.Output);
        result.Lse!.index_copy_(1, g, rows.Lse!);
    }
}
