using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Model.Tests;

/// <summary>Tensor helpers for assertions.</summary>
internal static class Tensors
{
    /// <summary>Seeded standard-normal float32 tensor (explicit generator: no global seeding).</summary>
    public static Tensor Randn(ulong seed, params long[] shape)
    {
        using var generator = new Generator(seed, CPU);
        return randn(shape, dtype: float32, generator: generator);
    }

    /// <summary>Asserts same dtype, shape and bit-identical contents.</summary>
    public static void AssertBitEqual(Tensor expected, Tensor actual, string what = "tensor")
    {
        Assert.Equal(expected.dtype, actual.dtype);
        Assert.Equal(expected.shape, actual.shape);
        using var e = expected.cpu().contiguous();
        using var a = actual.cpu().contiguous();
        Assert.True(e.bytes.SequenceEqual(a.bytes), $"{what}: contents differ (max |diff| {MaxDiff(e, a)}).");
    }

    /// <summary>Asserts same shape and |expected − actual| ≤ atol + rtol·|expected| everywhere.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, double rtol = 1e-5, double atol = 1e-6, string what = "tensor")
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(expected.allclose(actual, rtol, atol), $"{what}: max |diff| {MaxDiff(expected, actual)} exceeds tolerance.");
    }

    /// <summary>Largest absolute difference, as float64.</summary>
    public static double MaxDiff(Tensor a, Tensor b)
    {
        if (a.numel() == 0) return 0;
        using var scope = NewDisposeScope();
        return a.to(float64).sub(b.to(float64)).abs().max().item<double>();
    }

    /// <summary>All values as float64, row-major.</summary>
    public static double[] Values(Tensor t)
    {
        if (t.numel() == 0) return [];
        using var d = t.to(float64).contiguous().cpu();
        return d.data<double>().ToArray();
    }
}
