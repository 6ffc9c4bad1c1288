using DistributedAttention.Contracts;
using DistributedAttention.Core.Runtime;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// Causal Luna, exact: query i unpacks from the pack of keys 0..i only, C_i = softmax_{j≤i}(P·k_jᵀ/√d)·[k_j ‖ v_j].
/// The pack is an online softmax over positions, so each query block starts from the pack of
/// every earlier key (merged state: rows and lse) and extends it position by position with
/// cumulative sums; the block's last pack is the next block's start. Time and memory are
/// O(n·l·(d + dv)), linear in n. Inside a block the arithmetic is float64: the cumulative sums
/// share one reference (the block's largest score), which float64 keeps exact unless two scores
/// of one block's keys differ by more than ~700.
/// </summary>
public static class LunaCausal
{
    private const int QueryBlock = 32;

    /// <summary>The causal rows of queries at consecutive positions, their keys being the same positions.</summary>
    /// <param name="spec">A causal Luna spec.</param>
    /// <param name="qs">(bh, rows, d) queries, already multiplied by the softmax scale.</param>
    /// <param name="k">(bh, rows, d) keys at the queries' positions.</param>
    /// <param name="v">(bh, rows, dv) values.</param>
    /// <param name="before">The pack of every earlier key (<see cref="LunaAttention.Pack"/>, merged; <see cref="LunaAttention.EmptyPack"/> at the start).</param>
    /// <returns>(o (bh, rows, dv), lse (bh, rows)) in the queries' dtype.</returns>
    public static AttentionResult Forward(AttentionSpec spec, Tensor qs, Tensor k, Tensor v, AttentionResult before)
    {
        using var scope = NewDisposeScope();
        var (rows, d, dv) = (k.shape[1], k.shape[2], v.shape[2]);
        var p = LunaAttention.ScaledPackedQueries(spec, d, ScalarType.Float64, k.device);
        var packRows = before.Output.to(ScalarType.Float64);
        var packLse = before.Lse!.to(ScalarType.Float64);
        var outputs = new List<Tensor>();
        var lses = new List<Tensor>();
        for (long a = 0; a < rows; a += QueryBlock)
        {
            var b = Math.Min(QueryBlock, rows - a);
            // A scope per block: a block's packs are (bh, l, b, d + dv) in float64, and a book has thousands of blocks.
            // (When gradients are recorded, the graph keeps what the backward needs.)
            using var block = NewDisposeScope();
            var kb = k.narrow(1, a, b).to(ScalarType.Float64);
            var xb = cat([kb, v.narrow(1, a, b).to(ScalarType.Float64)], 2);
            // Pack scores (bh, l, b), and the packs after each position of the block: (bh, l, b, d + dv) and lse (bh, l, b).
            var scores = p.matmul(kb.transpose(1, 2));
            var top = scores.amax([2], keepdim: true).detach();
            var weighted = scores.sub(top).exp().unsqueeze(-1).mul(xb.unsqueeze(1)).cumsum(2);
            var lse = scores.logcumsumexp(2).logaddexp(packLse.unsqueeze(-1));
            var packs = weighted.mul(top.sub(lse).exp().unsqueeze(-1))
                .add(packRows.unsqueeze(2).mul(packLse.unsqueeze(-1).sub(lse).exp().unsqueeze(-1)), KeptScalars.One);
            // Unpack: query i against its own l packed keys and values.
            var perQuery = packs.permute(0, 2, 1, 3);
            var keys = perQuery.narrow(3, 0, d);
            var values = perQuery.narrow(3, d, dv);
            var unpackScores = keys.matmul(qs.narrow(1, a, b).to(ScalarType.Float64).unsqueeze(-1)).squeeze(-1);
            var unpackLse = unpackScores.logsumexp(2);
            var o = unpackScores.softmax(2).unsqueeze(2).matmul(values).squeeze(2);
            outputs.Add(o.to(qs.dtype).MoveToOuterDisposeScope());
            lses.Add(unpackLse.to(qs.dtype).MoveToOuterDisposeScope());
            // Copies, not views: a view would keep the whole block's packs alive.
            var (previousRows, previousLse) = (packRows, packLse);
            packRows = packs.select(2, b - 1).clone().MoveToOuterDisposeScope();
            packLse = lse.select(2, b - 1).clone().MoveToOuterDisposeScope();
            if (a > 0)
            {
                previousRows.Dispose();
                previousLse.Dispose();
            }
        }
        var result = new AttentionResult(cat(outputs, 1), cat(lses, 1));
        return result.MoveToOuterDisposeScope();
    }
}
