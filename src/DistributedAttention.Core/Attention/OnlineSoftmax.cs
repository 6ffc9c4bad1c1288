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
    /// <param name="scores">(bh, rows, c) scaled, masked scores; consumed (overwritten) here.</param>
    /// <param name="v">(bh, c, dv) values of the chunk.</param>
    public void Add(Tensor scores, Tensor v)
    {
        var chunkMax = scores.amax([-1], keepdim: true);
        if (max is null)
        {
            max = chunkMax;
            scores.sub_(max.clamp_min(Floor)).exp_();
            sum = scores.sum(-1, keepdim: true);
            acc = bmm(scores, v);
            fresh.AddRange([max, sum, acc]);
            return;
        }
        var newMax = max.maximum(chunkMax);
        var safeMax = newMax.clamp_min(Floor);
        var correction = max.sub(safeMax).exp_();
        scores.sub_(safeMax).exp_();
        sum = sum!.mul_(correction).add_(scores.sum(-1, keepdim: true), KeptScalars.One);
        acc = acc!.mul_(correction).add_(bmm(scores, v), KeptScalars.One);
        max = newMax;
        fresh.Add(newMax);
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
        var lse = max.clamp_min(Floor).add(sum!.log(), KeptScalars.One).squeeze(-1);
        return (output, lse);
    }
}
