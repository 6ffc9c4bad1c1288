using System.Runtime.InteropServices;
using DistributedAttention.Contracts;
using DistributedAttention.Core.IO;
using DistributedAttention.Formats;
using static TorchSharp.torch;

namespace DistributedAttention.Model.Tests.IO;

/// <summary>The streaming writer: same bytes as the one-shot writer, bounded memory, and clear errors on miscounted data.</summary>
public sealed class SafetensorsStreamWriterTests
{
    [Fact]
    public void Chunks_of_any_size_round_trip_through_the_reader_with_metadata()
    {
        using var dir = new TempDir();
        var path = dir.File("streamed.safetensors");
        using var hidden = Tensors.Randn(3, 37, 8);
        using var lse = Tensors.Randn(4, 2, 5);
        using var ids = arange(6, dtype: ScalarType.Int32);
        var metadata = new Dictionary<string, string> { ["tokens"] = "37", ["note"] = "café" };

        using (var writer = new SafetensorsStreamWriter(path,
            [SafetensorsDeclaration.Float32("hidden", 37, 8), SafetensorsDeclaration.Float32("lse", 2, 5), new("ids", ElementType.Int32, [6])], metadata))
        {
            // Uneven row blocks as tensors, then lse as raw bytes split inside an element.
            foreach (var (start, rows) in new[] { (0L, 10L), (10L, 1L), (11L, 26L) })
            {
                using var block = hidden.narrow(0, start, rows);
                writer.Write("hidden", block);
            }
            Assert.Equal("lse", writer.CurrentTensor);
            var lseBytes = lse.bytes.ToArray();
            writer.Write("lse", lseBytes.AsSpan(0, 7));
            writer.Write("lse", lseBytes.AsSpan(7));
            writer.Write("ids", ids);
            Assert.Null(writer.CurrentTensor);
            writer.Complete();
        }

        using var reader = SafetensorsReader.Open(path);
        Assert.Equal(metadata.OrderBy(p => p.Key), reader.Metadata.OrderBy(p => p.Key));
        Assert.Equal(["hidden", "lse", "ids"], reader.Tensors.Select(t => t.Name));
        using var h = reader.Read("hidden");
        using var l = reader.Read("lse");
        using var i = reader.Read("ids");
        Tensors.AssertBitEqual(hidden, h, "hidden");
        Tensors.AssertBitEqual(lse, l, "lse");
        Tensors.AssertBitEqual(ids, i, "ids");
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void Output_is_byte_identical_to_the_one_shot_writer_in_its_order()
    {
        using var dir = new TempDir();
        using var a = Tensors.Randn(5, 4, 3);
        using var b = Tensors.Randn(6, 2);
        using var empty = zeros([0, 3]);
        var metadata = new Dictionary<string, string> { ["k"] = "v" };
        Safetensors.Save(dir.File("once.safetensors"), new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b, ["empty"] = empty }, metadata);

        using (var writer = new SafetensorsStreamWriter(dir.File("streamed.safetensors"),
            [SafetensorsDeclaration.Float32("a", 4, 3), SafetensorsDeclaration.Float32("b", 2), SafetensorsDeclaration.Float32("empty", 0, 3)], metadata))
        {
            writer.Write("a", a);
            writer.Write("b", b);
            writer.Complete();
        }

        Assert.Equal(File.ReadAllBytes(dir.File("once.safetensors")), File.ReadAllBytes(dir.File("streamed.safetensors")));
    }

    [Fact]
    public void Streaming_a_large_tensor_allocates_only_its_chunks()
    {
        using var dir = new TempDir();
        var path = dir.File("large.safetensors");
        const long rows = 1 << 18, columns = 64, rowsPerChunk = 4096;
        var buffer = new float[rowsPerChunk * columns];

        var before = GC.GetAllocatedBytesForCurrentThread();
        using (var writer = new SafetensorsStreamWriter(path, [SafetensorsDeclaration.Float32("hidden", rows, columns)]))
        {
            for (long start = 0; start < rows; start += rowsPerChunk)
            {
                // Row r holds r everywhere, so any misplaced chunk shows in the spot checks below.
                for (var r = 0; r < rowsPerChunk; r++) buffer.AsSpan(r * (int)columns, (int)columns).Fill(start + r);
                writer.Write("hidden", MemoryMarshal.AsBytes(buffer.AsSpan()));
            }
            writer.Complete();
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // 64 MB of data went through; the writer itself must not have buffered it.
        Assert.True(allocated < 8 << 20, $"streaming 64 MB allocated {allocated} managed bytes.");
        using var reader = SafetensorsReader.Open(path);
        Assert.Equal([rows, columns], reader.GetInfo("hidden").Shape);
        using var all = reader.Read("hidden");
        foreach (var r in new long[] { 0, 4095, 4096, 100_000, rows - 1 })
        {
            Assert.Equal((float)r, all[r, columns - 1].item<float>());
        }
    }

    [Fact]
    public void Python_safetensors_reads_a_streamed_file()
    {
        using var dir = new TempDir();
        var path = dir.File("streamed.safetensors");
        using var o = Tensors.Randn(8, 1, 2, 5, 3);
        using (var writer = new SafetensorsStreamWriter(path, [SafetensorsDeclaration.Float32("o", 1, 2, 5, 3)], new Dictionary<string, string> { ["source"] = "stream" }))
        {
            using var flat = o.reshape(-1);
            using var first = flat.narrow(0, 0, 11);
            using var rest = flat.narrow(0, 11, 19);
            writer.Write("o", first);
            writer.Write("o", rest);
            writer.Complete();
        }

        using var described = PythonSafetensors.Describe(path);
        var root = described.RootElement;
        Assert.Equal("stream", root.GetProperty("metadata").GetProperty("source").GetString());
        var py = root.GetProperty("tensors").GetProperty("o");
        Assert.Equal("F32", py.GetProperty("dtype").GetString());
        Assert.Equal([1L, 2, 5, 3], py.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(Tensors.Values(o), py.GetProperty("values").EnumerateArray().Select(e => e.GetDouble()));
    }

    [Fact]
    public void Miscounted_data_fails_with_a_message_naming_the_tensor_and_leaves_no_file()
    {
        using var dir = new TempDir();
        var path = dir.File("bad.safetensors");
        File.WriteAllText(path, "previous");
        var declared = new[] { SafetensorsDeclaration.Float32("a", 2, 2), SafetensorsDeclaration.Float32("b", 3) };

        using (var writer = new SafetensorsStreamWriter(path, declared))
        {
            var overrun = Assert.Throws<InvalidDataException>(() => writer.Write("a", new byte[20]));
            Assert.Contains("'a' expects 16 bytes", overrun.Message);

            var early = Assert.Throws<InvalidDataException>(() => writer.Write("b", new byte[4]));
            Assert.Contains("'a' has received only 0 of its 16 bytes", early.Message);

            var unknown = Assert.Throws<InvalidDataException>(() => writer.Write("c", new byte[4]));
            Assert.Contains("'c', which was not declared", unknown.Message);

            using var doubles = zeros(4, dtype: ScalarType.Float64);
            var dtype = Assert.Throws<ArgumentException>(() => writer.Write("a", doubles));
            Assert.Contains("declared F32", dtype.Message);

            writer.Write("a", new byte[16]);
            var again = Assert.Throws<InvalidDataException>(() => writer.Write("a", new byte[4]));
            Assert.Contains("'a' already received all its 16 bytes", again.Message);

            writer.Write("b", new byte[8]);
            var incomplete = Assert.Throws<InvalidDataException>(writer.Complete);
            Assert.Contains("'b' received 8 of its 12 bytes", incomplete.Message);
        }

        // Disposed without completing: the partial file is gone and the old file untouched.
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Invalid_declarations_are_rejected_before_anything_is_written()
    {
        using var dir = new TempDir();
        var path = dir.File("x.safetensors");
        Assert.Contains("declared twice", Assert.Throws<ArgumentException>(() =>
            new SafetensorsStreamWriter(path, [SafetensorsDeclaration.Float32("a", 1), SafetensorsDeclaration.Float32("a", 1)])).Message);
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() =>
            new SafetensorsStreamWriter(path, [SafetensorsDeclaration.Float32("__metadata__", 1)])).Message);
        Assert.Contains("larger element types first", Assert.Throws<ArgumentException>(() =>
            new SafetensorsStreamWriter(path, [new("h", ElementType.Float16, [1]), SafetensorsDeclaration.Float32("f", 1)])).Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }
}
