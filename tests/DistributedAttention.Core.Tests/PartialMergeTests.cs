using DistributedAttention.Core.Attention;
using DistributedAttention.Testing;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Tests;

public sealed class PartialMergeTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 5)]
    [InlineData(4, 7)]
    public void Merging_partials_over_any_key_split_equals_the_unsplit_result(int seed, int parts)
    {
        var random = new Random(seed);
        const int n = 50, nk = 83;
        var (q, k, v) = TensorAssert.RandomQkv(seed, 2, 2, n, 8, nk: nk);
        using var all = ones(n, nk, dtype: @bool);
        using var expected = DenseOracle.Attend(q, k, v, all, 0.35);

        // A random, non-contiguous partition of the keys; some parts may be empty.
        var owner = Enumerable.Range(0, nk).Select(_ => random.Next(parts)).ToArray();
        var partials = new List<AttentionResult>();
        for (var p = 0; p < parts; p++)
        {
            using var keep = tensor(owner.Select(o => o == p).ToArray()).unsqueeze(0).expand(n, nk);
            partials.Add(DenseOracle.Attend(q, k, v, keep, 0.35));
        }
        using var merged = PartialMerge.MergeAll(partials);
        TensorAssert.SameResult(expected, merged);
        foreach (var partial in partials) partial.Dispose();
    }

    [Fact]
    public void Rows_that_see_nothing_stay_zero_with_minus_infinity_lse()
    {
        var (q, k, v) = TensorAssert.RandomQkv(9, 1, 1, 4, 4);
        using var none = zeros(4, 4, dtype: @bool);
        using var a = DenseOracle.Attend(q, k, v, none, 1);
        using var b = DenseOracle.Attend(q, k, v, none, 1);
        using var merged = PartialMerge.Merge(a, b);
        Assert.True(merged.Lse!.isneginf().all().item<bool>());
        Assert.Equal(0f, merged.Output.abs().max().item<float>());
    }
}
