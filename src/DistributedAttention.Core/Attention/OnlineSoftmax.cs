using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// Running softmax over key chunks: keeps the row max m, the row sum l of exp(s - m) and the
/// unnormalised output, rescaling them when a later chunk raises the max. Rows that have seen
/// only masked keys keep m = -inf, l = 0 and a zero output.
/// </summary>
internal sealed class OnlineSoftmax
{
    // Stand-in for -inf when subtracting a row max, so fully masked rows give exp(-inf) = 0, not NaN.
    private const float FloorMax = -1e30f;
    private static readonly Scalar Floor = FloorMax.ToScalar();
    private static readonly Scalar Tiny = float.Epsilon.ToScalar();
    private Tensor? max;
    private Tensor? sum;
    private Tensor? acc;
    // State tensors made (not updated in place) since the last KeepBeyondScope.
    private readonly List<Tensor> fresh = [];

    /// <summary>Adds one chunk.</summary>
    /// <param name="scores">(bh, rows, c) scaled, masked scores; consumed (overwritten unless autograd records the step).</param>
    /// <param name="v">(bh, c, dv) values of the chunk.</param>
    public void Add(Tensor scores, Tensor v)
    {
        var chunkMax = scores.amax([-1], keepdim: true);
        if (max is null)
        {
            max = chunkMax;
            scores = InPlace.Exp(InPlace.Sub(scores, max.clamp_min(Floor)));
            sum = scores.sum(-1, keepdim: true);
            acc = bmm(scores, v);
            fresh.AddRange([max, sum, acc]);
            return;
        }
        var newMax = max.maximum(chunkMax);
        var safeMax = newMax.clamp_min(Floor);
        var correction = InPlace.Exp(max.sub(safeMax));
        scores = InPlace.Exp(InPlace.Sub(scores, safeMax));
        var (oldSum, oldAcc) = (sum!, acc!);
        sum = InPlace.Add(InPlace.Mul(sum!, correction), scores.sum(-1, keepdim: true));
        acc = InPlace.Add(InPlace.Mul(acc!, correction), bmm(scores, v));
        max = newMax;
        fresh.Add(newMax);
        // Under autograd the steps above made new tensors instead of updating the old ones.
        if (!ReferenceEquals(sum, oldSum)) fresh.Add(sum);
        if (!ReferenceEquals(acc, oldAcc)) fresh.Add(acc);
    }

    /// <summary>
    /// Moves the running state made by the last <see cref="Add"/> out of the current dispose scope
    /// (a chunk's) to the one around it, so the chunk's other tensors can go with its scope.
    /// </summary>
    public void KeepBeyondScope()
    {
        foreach (var t in fresh) t.MoveToOuterDisposeScope();
        fresh.Clear();
    }

    /// <summary>The normalised output (bh, rows, dv) and lse (bh, rows).</summary>
    public (Tensor Output, Tensor Lse) Finish()
    {
        if (max is null) throw new InvalidOperationException("no chunk was added.");
        var output = acc!.div(sum!.clamp_min(Tiny));
        // Not in place: the running sum is state (and clamp_min's result a new tensor either way).
        var lse = InPlace.Lse(max.clamp_min(Floor), InPlace.Recording(sum!) ? sum! : sum!.clone()).squeeze(-1);
        return (output, lse);
    }
}
