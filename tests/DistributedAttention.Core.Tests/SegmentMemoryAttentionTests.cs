using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Testing;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Tests;

public sealed class SegmentMemoryAttentionTests
{
    [Theory]
    [InlineData(1, 4, 0)]
    [InlineData(37, 8, 8)]
    [InlineData(100, 16, 24)]   // memory longer than a segment
    [InlineData(130, 64, 7)]    // segments not aligned to the kernel's blocks
    [InlineData(90, 100, 50)]   // one partial segment
    public void TransformerXl_equals_dense_reference(int n, int segment, int memory)
    {
        var spec = new AttentionSpec { Kind = AttentionKind.TransformerXl, SegmentLength = segment, MemoryLength = memory };
        WindowAttentionTests.CheckAgainstDense(spec, n, seed: n + segment);
    }

    [Theory]
    [InlineData(1, 4, 4, 2, 2)]
    [InlineData(64, 8, 8, 2, 3)]
    [InlineData(150, 12, 12, 4, 2)]
    [InlineData(203, 16, 32, 4, 100)]  // compressed length longer than the history
    [InlineData(128, 8, 0, 1, 5)]      // rate 1, no raw memory
    public void Compressive_equals_dense_reference(int n, int segment, int memory, int rate, int compressed)
    {
        var spec = new AttentionSpec
        {
            Kind = AttentionKind.Compressive, SegmentLength = segment, MemoryLength = memory,
            CompressionRate = rate, CompressedLength = compressed,
        };
        var (q, k, v) = TensorAssert.RandomQkv(n, 1, 2, n, 8);
        using var expected = DenseOracle.Compressive(spec, q, k, v);
        using var actual = SingleDeviceAttention.Forward(spec, q, k, v);
        TensorAssert.SameResult(expected, actual);
    }

    [Fact]
    public void Compressive_rejects_rates_that_do_not_divide_the_segment()
    {
        var spec = new AttentionSpec { Kind = AttentionKind.Compressive, SegmentLength = 10, MemoryLength = 8, CompressionRate = 4 };
        var error = Assert.Throws<ArgumentException>(spec.Validate);
        Assert.Contains("multiples of the compression rate", error.Message);
    }

    [Fact]
    public void Any_split_of_the_sequence_gives_the_same_rows()
    {
        // A shard holding queries [s, n) needs only the keys from its first segment's memory on.
        var spec = new AttentionSpec { Kind = AttentionKind.TransformerXl, SegmentLength = 16, MemoryLength = 20 };
        const int n = 120;
        var (q, k, v) = TensorAssert.RandomQkv(4, 1, 2, n, 8);
        using var whole = SingleDeviceAttention.Forward(spec, q, k, v);
        var scale = 1 / Math.Sqrt(8);
        foreach (var split in new[] { 1, 17, 50, 119 })
        {
            var keyStart = Math.Max(0, SegmentMemoryAttention.MemoryInterval(spec, split).Lo);
            var kernel = new IntervalAttention { QueryBlock = 5, KeyChunk = 11 };
            using var part = kernel.Forward(
                q.reshape(2, n, 8).narrow(1, split, n - split).mul(scale),
                k.reshape(2, n, 8).narrow(1, keyStart, n - keyStart),
                v.reshape(2, n, 8).narrow(1, keyStart, n - keyStart),
                Enumerable.Range(split, n - split).Select(i => (long)i).ToArray(),
                keyStart,
                i => SegmentMemoryAttention.MemoryInterval(spec, i));
            TensorAssert.Close(whole.Output.reshape(2, n, 8).narrow(1, split, n - split), part.Output, what: $"split {split}");
        }
    }
}
