using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Grains.Messaging;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Tests;

public sealed class TensorWireTests
{
    public TensorWireTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void Float32RoundTripIsExactWithManyChunks()
    {
        using var x = randn(2, 3, 5, 7, generator: new Generator(1));
        var chunks = TensorWire.Encode(x, "halo/0", 4, WireDType.Float32, 100);
        // 210 floats, 25 per 100-byte chunk.
        Assert.Equal(9, chunks.Count);
        Assert.All(chunks, c => Assert.True(c.Data.Length <= 100));
        Assert.All(chunks, c => Assert.Equal(new long[] { 2, 3, 5, 7 }, c.Shape));
        Assert.Equal(840, chunks.Sum(c => c.Data.Length));
        using var y = TensorWire.Decode(chunks.Reverse().ToArray());
        Assert.Equal(ScalarType.Float32, y.dtype);
        Assert.Equal(x.shape, y.shape);
        Assert.True(TensorAssert.Same(x, y));
    }

    [Theory]
    [InlineData(WireDType.Float16, 1e-3)]
    [InlineData(WireDType.BFloat16, 8e-3)]
    public void HalfPrecisionRoundTripIsWithinRounding(WireDType wire, double relative)
    {
        using var x = randn(3, 64, generator: new Generator(2));
        var chunks = TensorWire.Encode(x, "t", 0, wire, 64);
        Assert.Equal(192 * 2, chunks.Sum(c => c.Data.Length));
        Assert.Equal(6, chunks.Count);
        using var y = TensorWire.Decode(chunks);
        Assert.Equal(ScalarType.Float32, y.dtype);
        Assert.True(y.allclose(x, rtol: relative, atol: 1e-6));
        Assert.False(TensorAssert.Same(y, x));
    }

    [Fact]
    public void EmptyTensorIsOneChunkWithNoData()
    {
        using var x = zeros(2, 0, 4);
        var chunks = TensorWire.Encode(x, "t", 1, WireDType.Float16, 8);
        var chunk = Assert.Single(chunks);
        Assert.Empty(chunk.Data);
        Assert.Equal(1, chunk.Count);
        using var y = TensorWire.Decode(chunks);
        Assert.Equal(new long[] { 2, 0, 4 }, y.shape);
    }

    [Fact]
    public void ChunkSizeIsRoundedToWholeElements()
    {
        using var x = arange(10, dtype: ScalarType.Float32);
        var chunks = TensorWire.Encode(x, "t", 0, WireDType.Float32, 7);
        Assert.Equal(10, chunks.Count);
        Assert.All(chunks, c => Assert.Equal(4, c.Data.Length));
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorWire.Encode(x, "t", 0, WireDType.Float32, 3));
    }

    [Fact]
    public void NonContiguousInputIsEncodedInLogicalOrder()
    {
        using var x = arange(24, dtype: ScalarType.Float32).reshape(2, 3, 4);
        using var t = x.transpose(0, 2);
        using var y = TensorWire.Decode(TensorWire.Encode(t, "t", 0, WireDType.Float32, 16));
        Assert.True(TensorAssert.Same(t, y));
    }

    [Fact]
    public void MissingOrInconsistentChunksAreRejected()
    {
        using var x = arange(8, dtype: ScalarType.Float32);
        var chunks = TensorWire.Encode(x, "t", 0, WireDType.Float32, 8);
        Assert.Throws<ArgumentException>(() => TensorWire.Decode(chunks.Skip(1).ToArray()));
        Assert.Throws<ArgumentException>(() => TensorWire.Decode([chunks[0], chunks[0], chunks[2], chunks[3]]));
        Assert.Throws<ArgumentException>(() => TensorWire.Decode([.. chunks.Take(3), chunks[3] with { Shape = [9] }]));
    }
}
