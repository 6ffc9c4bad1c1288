using DistributedAttention.Contracts;
using DistributedAttention.Core.Runtime;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// Longformer's symmetric global tokens: every query sees the global keys (a small partial
/// merged into the window result), and every global query sees all keys (its rows replaced by
/// exact blockwise attention). The shard-level pieces take absolute positions, so a ring of
/// shards computes the same numbers as one device.
/// </summary>
public static class GlobalTokens
{
    private const int QueryChunk = 4096;

    /// <summary>Sorted, distinct global positions below n.</summary>
    public static long[] Positions(AttentionSpec spec, long n)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.GlobalPositions.Where(p => p < n).Distinct().Order().ToArray();
    }

    /// <summary>Whole-sequence form of <see cref="KeysPartial(AttentionSpec, long[], Tensor, long, Tensor, Tensor, long)"/>.</summary>
    internal static AttentionResult KeysPartial(AttentionSpec spec, long[] globals, Tensor qs, Tensor k, Tensor v)
    {
        using var scope = NewDisposeScope();
        var g = tensor(globals, device: qs.device);
        return KeysPartial(spec, globals, qs, 0, k.index_select(1, g), v.index_select(1, g), qs.shape[1]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Partial over the global keys for queries at <paramref name="queryStart"/>.., leaving out
    /// keys a query already sees through its window (and, for BigBird, its random blocks), so
    /// the merge counts each key once.
    /// </summary>
    /// <param name="spec">Window or BigBird spec.</param>
    /// <param name="globals">Sorted global positions.</param>
    /// <param name="qs">(bh, nq, d) pre-scaled queries.</param>
    /// <param name="queryStart">Absolute position of the first query.</param>
    /// <param name="kg">(bh, G, d) keys of the global positions.</param>
    /// <param name="vg">(bh, G, dv) values of the global positions.</param>
    /// <param name="n">Length of the whole sequence.</param>
    public static AttentionResult KeysPartial(AttentionSpec spec, long[] globals, Tensor qs, long queryStart, Tensor kg, Tensor vg, long n)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using var scope = NewDisposeScope();
        var nq = qs.shape[1];
        var g = tensor(globals, device: qs.device);
        var output = empty(qs.shape[0], nq, vg.shape[2], dtype: qs.dtype, device: qs.device);
        var lse = empty(qs.shape[0], nq, dtype: qs.dtype, device: qs.device);
        var randomBlocks = spec.Kind == AttentionKind.BigBird ? BigBirdRandomBlocks.Table(spec, n, qs.device) : null;
        for (long start = 0; start < nq; start += QueryChunk)
        {
            using var chunkScope = NewDisposeScope();
            var rows = Math.Min(QueryChunk, nq - start);
            using var s = new ScalarScope();
            var i = arange(s[queryStart + start], s[queryStart + start + rows], dtype: int64, device: qs.device).unsqueeze(1);
            var j = g.unsqueeze(0);
            var hidden = WindowAttention.InWindow(spec, i, j);
            if (randomBlocks is not null) hidden = hidden.logical_or(BigBirdRandomBlocks.InRandomBlocks(spec, randomBlocks, i, j));
            var visible = hidden.logical_not();
            if (spec.Causal) visible = visible.logical_and(j.le(i));
            var scores = InPlace.MaskedFill(bmm(qs.narrow(1, start, rows), kg.transpose(1, 2)), visible.logical_not(), KeptScalars.NegativeInfinity);
            var softmax = new OnlineSoftmax();
            softmax.Add(scores, vg);
            var (o, l) = softmax.Finish();
            output.narrow(1, start, rows).copy_(o);
            lse.narrow(1, start, rows).copy_(l);
        }
        return new AttentionResult(output, lse).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Partial of the global queries over the keys held at <paramref name="keyStart"/>.. (all
    /// keys, causal: j ≤ i). Merging these over every shard gives the exact global rows.
    /// </summary>
    /// <param name="spec">Window or BigBird spec (only <see cref="AttentionSpec.Causal"/> matters).</param>
    /// <param name="globals">Sorted global positions (the query positions).</param>
    /// <param name="qg">(bh, G, d) pre-scaled global queries.</param>
    /// <param name="k">(bh, nk, d) keys.</param>
    /// <param name="v">(bh, nk, dv) values.</param>
    /// <param name="keyStart">Absolute position of the first key.</param>
    /// <param name="n">Length of the whole sequence.</param>
    public static AttentionResult RowsPartial(AttentionSpec spec, long[] globals, Tensor qg, Tensor k, Tensor v, long keyStart, long n)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var kernel = new IntervalAttention { QueryBlock = 256, KeyChunk = 4096 };
        try
        {
            return kernel.Forward(qg, k, v, globals, keyStart, i => (0, spec.Causal ? i : n - 1));
        }
        finally
        {
            kernel.ClearMasks();
        }
    }

    /// <summary>
    /// Overwrites the rows of global queries with attention over every key (causal: j ≤ i); returns
    /// <paramref name="result"/> itself, or under autograd a new result (the old one stays as it was).
    /// </summary>
    internal static AttentionResult ReplaceGlobalRows(AttentionSpec spec, long[] globals, Tensor qs, Tensor k, Tensor v, AttentionResult result)
    {
        using var scope = NewDisposeScope();
        var g = tensor(globals, device: qs.device);
        using var rows = RowsPartial(spec, globals, qs.index_select(1, g), k, v, 0, k.shape[1]);
        var output = InPlace.IndexCopy(result.Output, 1, g, rows.Output);
        var lse = InPlace.IndexCopy(result.Lse!, 1, g, rows.Lse!);
        if (ReferenceEquals(output, result.Output) && ReferenceEquals(lse, result.Lse)) return result;
        return new AttentionResult(output, lse).MoveToOuterDisposeScope();
    }
}
