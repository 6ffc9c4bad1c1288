using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// The kernels' in-place steps, taken in place only where no gradient is recorded through them.
/// Autograd saves some results for the backward pass (exp saves its output, amax its result); an
/// in-place change of one makes libtorch refuse the backward, so while inputs require gradients
/// and grad mode is on the same step allocates a new tensor. Inference keeps the in-place steps
/// and the memory they save. Each method returns the result: the operand itself, or a new tensor.
/// </summary>
internal static class InPlace
{
    /// <summary>Whether autograd records an op on these operands.</summary>
    public static bool Recording(Tensor a) => a.requires_grad && is_grad_enabled();

    /// <summary>Whether autograd records an op on these operands.</summary>
    public static bool Recording(Tensor a, Tensor b) => (a.requires_grad || b.requires_grad) && is_grad_enabled();

    /// <summary>Soft-caps scores, <c>cap · tanh(t / cap)</c>; nothing when <paramref name="cap"/> is null.</summary>
    public static Tensor SoftCap(Tensor t, double? cap)
    {
        if (cap is not { } c) return t;
        using var s = c.ToScalar();
        return Recording(t) ? t.div(s).tanh().mul(s) : t.div_(s).tanh_().mul_(s);
    }

    /// <summary>exp(t).</summary>
    public static Tensor Exp(Tensor t) => Recording(t) ? t.exp() : t.exp_();

    /// <summary>t − other.</summary>
    public static Tensor Sub(Tensor t, Tensor other) => Recording(t, other) ? t.sub(other) : t.sub_(other);

    /// <summary>t − value.</summary>
    public static Tensor Sub(Tensor t, Scalar value) => Recording(t) ? t.sub(value) : t.sub_(value);

    /// <summary>t + other.</summary>
    public static Tensor Add(Tensor t, Tensor other) => Recording(t, other) ? t.add(other, KeptScalars.One) : t.add_(other, KeptScalars.One);

    /// <summary>
    /// total + term for a running total kept by the enclosing dispose scope, called inside a nested
    /// one: in place, or under autograd a new tensor moved out to the enclosing scope.
    /// </summary>
    public static Tensor Accumulate(Tensor total, Tensor term) =>
        Recording(total, term) ? total.add(term, KeptScalars.One).MoveToOuterDisposeScope() : total.add_(term, KeptScalars.One);

    /// <summary>t · other.</summary>
    public static Tensor Mul(Tensor t, Tensor other) => Recording(t, other) ? t.mul(other) : t.mul_(other);

    /// <summary>t / other.</summary>
    public static Tensor Div(Tensor t, Tensor other) => Recording(t, other) ? t.div(other) : t.div_(other);

    /// <summary>t / value.</summary>
    public static Tensor Div(Tensor t, Scalar value) => Recording(t) ? t.div(value) : t.div_(value);

    /// <summary>max(t, floor).</summary>
    public static Tensor ClampMin(Tensor t, Scalar floor) => Recording(t) ? t.clamp_min(floor) : t.clamp_min_(floor);

    /// <summary>t with <paramref name="value"/> where <paramref name="mask"/> is true.</summary>
    public static Tensor MaskedFill(Tensor t, Tensor mask, Scalar value) => Recording(t) ? t.masked_fill(mask, value) : t.masked_fill_(mask, value);

    /// <summary>t with the rows <paramref name="index"/> along <paramref name="dim"/> replaced by <paramref name="source"/>'s.</summary>
    public static Tensor IndexCopy(Tensor t, long dim, Tensor index, Tensor source) =>
        Recording(t, source) ? t.index_copy(dim, index, source) : t.index_copy_(dim, index, source);

    /// <summary>
    /// <see cref="IndexCopy"/> into a tensor kept by the enclosing dispose scope, called inside a
    /// nested one: under autograd the new tensor is moved out to the enclosing scope.
    /// </summary>
    public static Tensor IndexCopyKept(Tensor t, long dim, Tensor index, Tensor source) =>
        Recording(t, source) ? t.index_copy(dim, index, source).MoveToOuterDisposeScope() : t.index_copy_(dim, index, source);

    /// <summary>
    /// The lse max + log(sum), −inf where sum is 0 (a row that saw no key). In place on
    /// <paramref name="max"/> and <paramref name="sum"/> unless recorded; recorded, log(0) is never
    /// taken, since its backward would send 0·∞ = NaN into every gradient, even from rows that
    /// are dropped (the padding rows of a block).
    /// </summary>
    public static Tensor Lse(Tensor max, Tensor sum)
    {
        if (!Recording(max, sum)) return max.add_(sum.log_(), KeptScalars.One);
        using var empty = sum.eq(KeptScalars.Zero);
        using var safeSum = sum.masked_fill(empty, KeptScalars.One);
        using var log = safeSum.log();
        using var lse = max.add(log, KeptScalars.One);
        return lse.masked_fill(empty, KeptScalars.NegativeInfinity);
    }

    /// <summary>The lower triangle of t.</summary>
    public static Tensor Tril(Tensor t) => Recording(t) ? t.tril() : t.tril_();
}
