using static TorchSharp.torch;

namespace DistributedAttention.Cli.Tests;

/// <summary>Distributed results against the single-device ones: same shape, equal up to float32 reassociation.</summary>
internal static class TensorAssert
{
    /// <summary>
    /// |actual − expected| ≤ 1e-4·|expected| + 3e-5 everywhere (the bound of the Grains tests):
    /// shards add partial softmax sums in another order than one device does, nothing more.
    /// </summary>
    public static void Close(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        var e = expected.to(float64);
        var a = actual.to(float64);
        Assert.False(a.isnan().any().item<bool>(), $"{what}: NaN");
        var diff = (a - e).abs();
        var bound = e.abs().mul(1e-4).add(3e-5);
        Assert.True(diff.sub(bound).max().item<double>() <= 0, $"{what}: max |diff| {diff.max().item<double>():E3}");
    }
}
