using System.Buffers.Binary;
using System.Text;
using DistributedAttention.Core.IO;
using static TorchSharp.torch;

namespace DistributedAttention.Model.Tests.IO;

/// <summary>The byte layout against the format's specification, and clear errors for broken files.</summary>
public sealed class SafetensorsFormatTests
{
    /// <summary>8-byte little-endian header length, the header text, then the data bytes.</summary>
    private static byte[] File(string header, params byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }

    [Fact]
    public void Writer_output_matches_a_handwritten_file_byte_for_byte()
    {
        // Header: metadata first, then tensors in data order (I32 ranks above F16), padded with
        // spaces to a multiple of 8; data: int32 1, -2 and float16 1.0, little-endian.
        const string header = "{\"__metadata__\":{\"k\":\"v\"},"
            + "\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"a\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[8,10]}}";
        var padded = header + new string(' ', (8 - header.Length % 8) % 8);
        var expected = File(padded, 0x01, 0x00, 0x00, 0x00, 0xFE, 0xFF, 0xFF, 0xFF, 0x00, 0x3C);
        Assert.Equal(0, (expected.Length - 10) % 8);

        using var a = ones(1, dtype: float16);
        using var b = tensor(new[] { 1, -2 });
        using var stream = new MemoryStream();
        Safetensors.Save(stream, new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b }, new Dictionary<string, string> { ["k"] = "v" });

        Assert.Equal(Encoding.Latin1.GetString(expected), Encoding.Latin1.GetString(stream.ToArray()));
    }

    [Fact]
    public void Reader_parses_a_handwritten_file_in_any_key_order_without_padding()
    {
        var bytes = File(
            "{\"y\":{\"data_offsets\":[8,12],\"shape\":[],\"dtype\":\"F32\"},\"__metadata__\":{\"m\":\"1\"},\"x\":{\"dtype\":\"I64\",\"shape\":[1,1],\"data_offsets\":[0,8]}}",
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x00, 0x00, 0xC0, 0x3F);
        using var reader = new SafetensorsReader(new MemoryStream(bytes));
        Assert.Equal("1", reader.Metadata["m"]);
        using var x = reader.Read("x");
        using var y = reader.Read("y");
        Assert.Equal([1L, 1L], x.shape);
        Assert.Equal(long.MaxValue, x.item<long>());
        Assert.Empty(y.shape);
        Assert.Equal(1.5f, y.item<float>());
    }

    public static TheoryData<string, byte[], string> CorruptFiles => new()
    {
        { "too short", [1, 2, 3, 4, 5], "shorter than the 8-byte" },
        { "length past the end", [0xFF, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}'], "more than the 2 bytes" },
        { "length over 100 MB", [0, 0, 0, 0, 0, 0, 0, 1, (byte)'{', (byte)'}'], "exceeds" },
        { "not json", File("{not json"), "not valid JSON" },
        { "not an object", File("[1, 2]"), "does not start with '{'" },
        { "unknown dtype", File("{\"x\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,4]}}", 0, 0, 0, 0), "unknown or unsupported dtype 'Q7'" },
        { "shape/bytes mismatch", File("{\"x\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", new byte[20]), "span 20 bytes" },
        { "gap between tensors", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", new byte[12]), "starts at byte 8, expected 4" },
        { "truncated data", File("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]), "truncated" },
        { "trailing bytes", File("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[8]), "not described" },
        { "duplicate name", File("{\"x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 0, 0), "appears twice" },
        { "metadata not strings", File("{\"__metadata__\":{\"n\":3}}"), "is not a string" },
        { "missing offsets", File("{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", 0, 0, 0, 0), "no array 'data_offsets'" },
        { "negative dimension", File("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}"), "negative dimension" },
    };

    [Theory]
    [MemberData(nameof(CorruptFiles))]
    public void Corrupt_files_fail_on_open_with_a_message_naming_the_problem(string problem, byte[] bytes, string expectedMessage)
    {
        var error = Assert.Throws<InvalidDataException>(() => new SafetensorsReader(new MemoryStream(bytes), source: "broken.safetensors"));
        Assert.Contains(expectedMessage, error.Message);
        Assert.StartsWith("broken.safetensors", error.Message);
        Assert.False(string.IsNullOrEmpty(problem));
    }

    [Fact]
    public void Reading_a_missing_name_names_it_and_the_tensors_that_exist()
    {
        var bytes = File("{\"present\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 7);
        using var reader = new SafetensorsReader(new MemoryStream(bytes), source: "f.safetensors");
        var error = Assert.Throws<KeyNotFoundException>(() => reader.Read("absent"));
        Assert.Contains("'absent'", error.Message);
        Assert.Contains("present", error.Message);
    }
}
