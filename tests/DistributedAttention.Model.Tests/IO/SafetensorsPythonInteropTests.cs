using System.Text.Json;
using DistributedAttention.Core.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Model.Tests.IO;

/// <summary>
/// Files written here must open in Python's reference safetensors library with the same names,
/// dtypes, shapes, values and metadata, and files it writes must read back here. These tests
/// fail (never skip) when python3, numpy or safetensors is missing.
/// </summary>
public sealed class SafetensorsPythonInteropTests
{
    [Fact]
    public void Python_safetensors_reads_our_file_with_the_same_names_dtypes_shapes_values_and_metadata()
    {
        using var dir = new TempDir();
        var path = dir.File("ours.safetensors");
        using var scope = NewDisposeScope();
        var random = Tensors.Randn(11, 3, 4);
        var written = new Dictionary<string, Tensor>
        {
            ["layers.0.attn.q_proj.weight"] = random,
            ["f64"] = random.narrow(0, 0, 1).to(float64),
            ["f16"] = random.to(float16),
            ["bf16"] = random.to(bfloat16),
            ["i64.scalar"] = tensor(-(1L << 40)),
            ["i32"] = tensor(new[] { 1, -2, int.MaxValue }).reshape(3, 1),
            ["i16"] = tensor(new short[] { -7, 300 }),
            ["i8"] = tensor(new sbyte[] { -128, 127 }),
            ["u8"] = tensor(new byte[] { 0, 200, 255 }),
            ["bool"] = tensor(new[] { true, false }),
            ["empty"] = zeros([0, 3]),
        };
        var metadata = new Dictionary<string, string> { ["options"] = "{\"ModelDim\":64}", ["unicode"] = "café – 書", ["blank"] = "" };
        Safetensors.Save(path, written, metadata);

        using var described = PythonSafetensors.Describe(path);
        var root = described.RootElement;
        var pyMetadata = root.GetProperty("metadata").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        Assert.Equal(metadata.OrderBy(p => p.Key), pyMetadata.OrderBy(p => p.Key));

        var pyTensors = root.GetProperty("tensors");
        Assert.Equal(written.Keys.Order(StringComparer.Ordinal), pyTensors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        var names = new Dictionary<ScalarType, string>
        {
            [ScalarType.Float32] = "F32", [ScalarType.Float64] = "F64", [ScalarType.Float16] = "F16", [ScalarType.BFloat16] = "BF16",
            [ScalarType.Int64] = "I64", [ScalarType.Int32] = "I32", [ScalarType.Int16] = "I16", [ScalarType.Int8] = "I8",
            [ScalarType.Byte] = "U8", [ScalarType.Bool] = "BOOL",
        };
        foreach (var (name, tensor) in written)
        {
            var py = pyTensors.GetProperty(name);
            Assert.Equal(names[tensor.dtype], py.GetProperty("dtype").GetString());
            Assert.Equal(tensor.shape, py.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
            var pyValues = py.GetProperty("values").EnumerateArray().Select(ValueOf).ToArray();
            Assert.True(Tensors.Values(tensor).SequenceEqual(pyValues), $"{name}: values differ from Python's.");
        }
    }

    [Fact]
    public void Files_written_by_python_safetensors_read_back_here()
    {
        using var dir = new TempDir();
        var path = dir.File("python.safetensors");
        PythonSafetensors.WriteReference(path);

        using var reader = SafetensorsReader.Open(path);
        Assert.Equal("python", reader.Metadata["source"]);
        Assert.Equal("café", reader.Metadata["note"]);
        void Check(string name, ScalarType dtype, long[] shape, double[] values)
        {
            using var t = reader.Read(name);
            Assert.Equal(dtype, t.dtype);
            Assert.Equal(shape, t.shape);
            Assert.Equal(values, Tensors.Values(t));
        }
        Check("f32", ScalarType.Float32, [2, 3], [0, 0.25, 0.5, 0.75, 1, 1.25]);
        Check("f64", ScalarType.Float64, [2], [1.0 / 3.0, -2.5]);
        Check("f16", ScalarType.Float16, [3], [0.5, -1.5, 65504]);
        Check("i64", ScalarType.Int64, [2, 1], [-3, 1L << 40]);
        Check("i32", ScalarType.Int32, [3], [7, -8, 9]);
        Check("u8", ScalarType.Byte, [2], [0, 255]);
        Check("flags", ScalarType.Bool, [3], [1, 0, 1]);
        Check("scalar", ScalarType.Float32, [], [2.25]);
        Check("empty", ScalarType.Float32, [0, 4], []);
    }

    private static double ValueOf(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.True => 1,
        JsonValueKind.False => 0,
        _ => e.GetDouble(),
    };
}
