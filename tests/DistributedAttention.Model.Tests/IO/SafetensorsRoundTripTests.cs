using DistributedAttention.Core.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Model.Tests.IO;

public sealed class SafetensorsRoundTripTests
{
    public static TheoryData<ScalarType> DTypes =>
    [
        ScalarType.Float32, ScalarType.Float16, ScalarType.BFloat16, ScalarType.Float64,
        ScalarType.Int64, ScalarType.Int32, ScalarType.Int16, ScalarType.Int8, ScalarType.Byte, ScalarType.Bool,
    ];

    /// <summary>Values of every dtype, in a 3-D shape, a scalar and an empty tensor.</summary>
    private static Dictionary<string, Tensor> Sample(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var values = Tensors.Randn(7, 2, 3, 5).mul(dtype is ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64 ? 3 : 40);
        var result = new Dictionary<string, Tensor>
        {
            ["matrix"] = (dtype == ScalarType.Bool ? values.gt(0) : values.to(dtype)),
            ["scalar"] = dtype == ScalarType.Bool ? tensor(true) : tensor(5.0).to(dtype),
            ["empty"] = zeros([0, 4], dtype: dtype),
            ["empty_scalar_row"] = zeros([3, 0, 2], dtype: dtype),
        };
        foreach (var t in result.Values) t.MoveToOuterDisposeScope();
        return result;
    }

    [Theory]
    [MemberData(nameof(DTypes))]
    public void Every_dtype_round_trips_bit_exactly_including_scalars_and_empty_tensors(ScalarType dtype)
    {
        using var dir = new TempDir();
        var path = dir.File("sample.safetensors");
        var written = Sample(dtype);
        try
        {
            Safetensors.Save(path, written);
            var read = Safetensors.Load(path);
            try
            {
                Assert.Equal(written.Keys.Order(), read.Keys.Order());
                foreach (var (name, expected) in written) Tensors.AssertBitEqual(expected, read[name], name);
                Assert.Empty(read["scalar"].shape);
            }
            finally
            {
                foreach (var t in read.Values) t.Dispose();
            }
        }
        finally
        {
            foreach (var t in written.Values) t.Dispose();
        }
    }

    [Fact]
    public void Metadata_round_trips_and_an_absent_map_reads_as_empty()
    {
        using var dir = new TempDir();
        var metadata = new Dictionary<string, string>
        {
            ["options"] = "{\"ModelDim\": 64, \"quote\": \"\\\"x\\\"\"}",
            ["unicode"] = "café – 書",
            ["empty"] = "",
        };
        using var t = ones(2);
        Safetensors.Save(dir.File("with.safetensors"), new Dictionary<string, Tensor> { ["t"] = t }, metadata);
        Safetensors.Save(dir.File("without.safetensors"), new Dictionary<string, Tensor> { ["t"] = t });

        Assert.Equal(metadata, Safetensors.LoadMetadata(dir.File("with.safetensors")));
        Assert.Empty(Safetensors.LoadMetadata(dir.File("without.safetensors")));
    }

    [Fact]
    public void A_tensor_larger_than_one_chunk_streams_in_pieces_and_round_trips()
    {
        using var dir = new TempDir();
        // 40 MB of float32: two full 16 MB chunks and a partial one.
        using var big = arange(10_000_003, dtype: float32).mul(0.5f).reshape(10_000_003, 1);
        using var small = tensor(new short[] { 1, -2, 3 });
        Safetensors.Save(dir.File("big.safetensors"), new Dictionary<string, Tensor> { ["big"] = big, ["small"] = small });

        using var reader = SafetensorsReader.Open(dir.File("big.safetensors"));
        Assert.Equal(40_000_012, reader.GetInfo("big").ByteLength);
        using var back = reader.Read("big");
        Tensors.AssertBitEqual(big, back, "big");
        using var backSmall = reader.Read("small");
        Tensors.AssertBitEqual(small, backSmall, "small");
    }

    [Fact]
    public void Non_contiguous_tensors_are_written_in_logical_row_major_order()
    {
        using var dir = new TempDir();
        using var matrix = arange(12, dtype: float32).reshape(3, 4);
        using var transposed = matrix.t();
        Assert.False(transposed.is_contiguous());
        Safetensors.Save(dir.File("t.safetensors"), new Dictionary<string, Tensor> { ["t"] = transposed });

        using var reader = SafetensorsReader.Open(dir.File("t.safetensors"));
        using var back = reader.Read("t");
        Assert.Equal([4L, 3L], back.shape);
        Assert.Equal(Tensors.Values(transposed), Tensors.Values(back));
    }

    [Fact]
    public void Reader_reads_single_tensors_by_name_and_reports_header_entries_in_data_order()
    {
        using var dir = new TempDir();
        using var a = ones(3, dtype: float16);
        using var b = arange(4, dtype: int64);
        using var c = full(2, 2, 1.5f);
        Safetensors.Save(dir.File("x.safetensors"), new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b, ["c"] = c });

        using var reader = SafetensorsReader.Open(dir.File("x.safetensors"));
        Assert.Equal(["b", "c", "a"], reader.Tensors.Select(t => t.Name));
        Assert.Equal(0, reader.Tensors[0].DataStart);
        Assert.All(reader.Tensors.Zip(reader.Tensors.Skip(1)), p => Assert.Equal(p.First.DataEnd, p.Second.DataStart));
        Assert.True(reader.Contains("c"));
        using var back = reader.Read("c");
        Tensors.AssertBitEqual(c, back);
    }

    [Fact]
    public void Saving_rejects_reserved_names_and_unsupported_dtypes()
    {
        using var dir = new TempDir();
        using var t = ones(1);
        using var complex = ones(1, dtype: ScalarType.ComplexFloat32);
        var reserved = Assert.Throws<ArgumentException>(() =>
            Safetensors.Save(dir.File("r.safetensors"), new Dictionary<string, Tensor> { ["__metadata__"] = t }));
        Assert.Contains("reserved", reserved.Message);
        var unsupported = Assert.Throws<ArgumentException>(() =>
            Safetensors.Save(dir.File("c.safetensors"), new Dictionary<string, Tensor> { ["z"] = complex }));
        Assert.Contains("'z'", unsupported.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }
}
