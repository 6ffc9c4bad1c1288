using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Tests;

/// <summary>Seeded inputs and fp32 tolerance checks shared by the attention tests.</summary>
internal static class TensorAssert
{
    public static (Tensor Q, Tensor K, Tensor V) RandomQkv(long seed, long batch, long heads, long n, long d, long? nk = null, long? dv = null)
    {
        using var generator = new Generator((ulong)seed);
        var q = randn(batch, heads, n, d, generator: generator);
        var k = randn(batch, heads, nk ?? n, d, generator: generator);
        var v = randn(batch, heads, nk ?? n, dv ?? d, generator: generator);
        return (q, k, v);
    }

    /// <summary>|actual − expected| ≤ atol + rtol·|expected| everywhere; infinities must match exactly.</summary>
    public static void Close(Tensor expected, Tensor actual, double atol = 2e-5, double rtol = 1e-4, string what = "tensor")
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        var e = expected.to(float64);
        var a = actual.to(float64);
        Assert.False(a.isnan().any().item<bool>(), $"{what}: NaN in result");
        var bothInf = e.isinf().logical_and(a.eq(e));
        var diff = (a - e).abs().masked_fill(bothInf, KeptScalars.Zero);
        var bound = e.abs().masked_fill(e.isinf(), KeptScalars.Zero).mul(rtol).add(atol);
        var excess = diff - bound;
        var worst = excess.max().item<double>();
        Assert.True(worst <= 0, $"{what}: max |diff| = {diff.max().item<double>():E3} exceeds tolerance (atol {atol}, rtol {rtol})");
    }

    public static void SameResult(Core.Attention.AttentionResult expected, Core.Attention.AttentionResult actual, double atol = 2e-5)
    {
        Close(expected.Output, actual.Output, atol, what: "output");
        if (expected.Lse is not null)
        {
            Assert.NotNull(actual.Lse);
            Close(expected.Lse, actual.Lse!, atol, what: "lse");
        }
    }
}
