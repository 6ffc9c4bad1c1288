using DistributedAttention.Contracts;
using DistributedAttention.Core.IO;
using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Tests;

/// <summary>
/// The one chunk codec: ring pieces of flattened tensors in every wire type, row blocks of
/// inputs, outputs and copies, and the torch-free host side, which must agree with it byte for byte.
/// </summary>
public sealed class TensorChunkCodecTests
{
    public TensorChunkCodecTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void Float32_flat_round_trip_is_exact_with_many_pieces()
    {
        using var x = randn(2, 3, 5, 7, generator: new Generator(1));
        var pieces = TensorChunkCodec.EncodeFlat(x, "", ElementType.Float32, 100);
        // 210 floats, 25 per 100-byte piece.
        Assert.Equal(9, pieces.Count);
        Assert.All(pieces, c => Assert.True(c.Data.Length <= 100));
        Assert.Equal(840, pieces.Sum(c => c.Data.Length));
        using var y = TensorChunkCodec.DecodeFlat([.. pieces.Reverse()], x.shape);
        Assert.Equal(ScalarType.Float32, y.dtype);
        Assert.Equal(x.shape, y.shape);
        Assert.True(x.eq(y).all().item<bool>());
    }

    [Theory]
    [InlineData(ElementType.Float16, 1e-3)]
    [InlineData(ElementType.BFloat16, 8e-3)]
    public void Half_precision_round_trip_is_within_rounding(ElementType type, double relative)
    {
        using var x = randn(3, 64, generator: new Generator(2));
        var pieces = TensorChunkCodec.EncodeFlat(x, "", type, 64);
        Assert.Equal(192 * 2, pieces.Sum(c => c.Data.Length));
        Assert.Equal(6, pieces.Count);
        using var y = TensorChunkCodec.DecodeFlat(pieces, x.shape);
        Assert.Equal(ScalarType.Float32, y.dtype);
        Assert.True(y.allclose(x, rtol: relative, atol: 1e-6));
        Assert.False(y.eq(x).all().item<bool>(), "rounding changed nothing.");
    }

    [Fact]
    public void Empty_tensor_is_one_piece_with_no_data()
    {
        using var x = zeros(2, 0, 4);
        var piece = Assert.Single(TensorChunkCodec.EncodeFlat(x, "", ElementType.Float16, 8));
        Assert.Empty(piece.Data);
        using var y = TensorChunkCodec.DecodeFlat([piece], x.shape);
        Assert.Equal(new long[] { 2, 0, 4 }, y.shape);
    }

    [Fact]
    public void Piece_size_is_rounded_to_whole_elements()
    {
        using var x = arange(10, dtype: ScalarType.Float32);
        var pieces = TensorChunkCodec.EncodeFlat(x, "", ElementType.Float32, 7);
        Assert.Equal(10, pieces.Count);
        Assert.All(pieces, c => Assert.Equal(4, c.Data.Length));
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorChunkCodec.EncodeFlat(x, "", ElementType.Float32, 3));
    }

    [Fact]
    public void Integer_tensors_round_trip_exactly_as_int32()
    {
        // Positions past 2^24 would lose their low bits in float32, and in bf16 almost everything.
        using var x = tensor(new long[] { 0, 1, 16_777_217, 2_000_000_001, -3, 12 }, [2, 3]);
        using var y = TensorChunkCodec.DecodeFlat(TensorChunkCodec.EncodeFlat(x, "", ElementType.Int32, 8), x.shape);
        Assert.Equal(ScalarType.Int32, y.dtype);
        Assert.Equal(x.data<long>().ToArray(), y.to(ScalarType.Int64).data<long>().ToArray());
        using var empty = zeros(0, 3, dtype: ScalarType.Int64);
        using var none = TensorChunkCodec.DecodeFlat(TensorChunkCodec.EncodeFlat(empty, "", ElementType.Int32, 8), empty.shape);
        Assert.Equal([0L, 3L], none.shape);
    }

    [Fact]
    public void Non_contiguous_input_is_encoded_in_logical_order()
    {
        using var x = arange(24, dtype: ScalarType.Float32).reshape(2, 3, 4);
        using var t = x.transpose(0, 2);
        using var y = TensorChunkCodec.DecodeFlat(TensorChunkCodec.EncodeFlat(t, "", ElementType.Float32, 16), t.shape);
        Assert.True(t.eq(y).all().item<bool>());
    }

    [Fact]
    public void Missing_repeated_or_inconsistent_pieces_are_rejected()
    {
        using var x = arange(8, dtype: ScalarType.Float32);
        var pieces = TensorChunkCodec.EncodeFlat(x, "", ElementType.Float32, 8);
        Assert.Throws<ArgumentException>(() => TensorChunkCodec.DecodeFlat([.. pieces.Skip(1)], [8]));
        Assert.Throws<ArgumentException>(() => TensorChunkCodec.DecodeFlat([pieces[0], pieces[0], pieces[2], pieces[3]], [8]));
        Assert.Throws<ArgumentException>(() => TensorChunkCodec.DecodeFlat([.. pieces.Take(3), pieces[3] with { Type = ElementType.Float16 }], [8]));
        Assert.Throws<ArgumentException>(() => TensorChunkCodec.DecodeFlat(pieces, [9]));
    }

    [Fact]
    public void Row_blocks_along_a_middle_dimension_reassemble_exactly_and_respect_the_chunk_size()
    {
        using var x = randn(2, 3, 37, 5, generator: new Generator(3));
        using var target = zeros(2, 3, 37, 5);
        // 30 floats = 120 bytes per row: 4 rows per 500-byte chunk.
        var chunks = TensorChunkCodec.Split(x, "q", 2, 100, 500, ElementType.Float32).ToList();
        Assert.Equal(10, chunks.Count);
        Assert.All(chunks, c => Assert.True(c.Data.Length <= 500));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => 100L + 4 * i), chunks.Select(c => c.RowStart));
        Assert.Equal(37, chunks.Sum(c => TensorChunkCodec.CopyInto(c, target, 2, 100, ElementType.Float32)));
        Assert.True(x.eq(target).all().item<bool>());
    }

    [Fact]
    public void A_block_that_does_not_fit_its_target_is_refused_with_the_reason()
    {
        using var x = randn(1, 2, 8, 4, generator: new Generator(4));
        using var target = zeros(1, 2, 8, 4);
        var chunk = TensorChunkCodec.Chunk(x, "k", 2, 0, 0, 8, ElementType.Float32);
        Assert.Contains("falls outside rows 10..17", Assert.Throws<ArgumentException>(() => TensorChunkCodec.CopyInto(chunk, target, 2, 10, ElementType.Float32)).Message);
        using var wider = zeros(1, 3, 8, 4);
        Assert.Contains("is not a block of (1, 3, 8, 4)", Assert.Throws<ArgumentException>(() => TensorChunkCodec.CopyInto(chunk, wider, 2, 0, ElementType.Float32)).Message);
        Assert.Contains("bytes", Assert.Throws<ArgumentException>(() => TensorChunkCodec.CopyInto(chunk with { Data = chunk.Data[..^4] }, target, 2, 0, ElementType.Float32)).Message);
        Assert.Contains("Int32 expected", Assert.Throws<ArgumentException>(() => TensorChunkCodec.CopyInto(chunk, target, 2, 0, ElementType.Int32)).Message);
    }

    [Fact]
    public void Host_side_chunks_equal_tensor_side_chunks_byte_for_byte()
    {
        using var x = randn(2, 3, 29, 6, generator: new Generator(5));
        var host = x.ToHost();
        var fromHost = HostChunks.Split(host, "v", 2, 4, 23, 300).ToList();
        using var slice = x.narrow(2, 4, 19);
        var fromTorch = TensorChunkCodec.Split(slice, "v", 2, 4, 300, ElementType.Float32).ToList();
        Assert.Equal(fromTorch.Count, fromHost.Count);
        for (var i = 0; i < fromHost.Count; i++)
        {
            Assert.Equal(fromTorch[i].RowStart, fromHost[i].RowStart);
            Assert.Equal(fromTorch[i].Shape, fromHost[i].Shape);
            Assert.Equal(fromTorch[i].Data, fromHost[i].Data);
        }
        var back = HostTensor.Zeros([2, 3, 29, 6]);
        foreach (var chunk in TensorChunkCodec.Split(x, "o", 2, 0, 300, ElementType.Float32)) HostChunks.Scatter(chunk, back, 2);
        using var assembled = back.ToTorch();
        Assert.True(x.eq(assembled).all().item<bool>());
    }

    [Fact]
    public void Token_chunks_go_into_an_int32_tensor()
    {
        var tokens = Enumerable.Range(0, 1000).Select(i => i * 7 % 50257).ToArray();
        using var target = zeros([300], dtype: ScalarType.Int32);
        var chunks = HostChunks.SplitTokens(tokens, 500, 800, 1024).ToList();
        Assert.Equal([256, 44], chunks.Select(c => c.Rows));
        foreach (var chunk in chunks) TensorChunkCodec.CopyInto(chunk, target, 0, 500, ElementType.Int32);
        Assert.Equal(tokens[500..800], target.data<int>().ToArray());
    }
}
