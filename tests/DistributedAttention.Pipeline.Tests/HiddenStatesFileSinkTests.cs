using DistributedAttention.Pipeline;
using DistributedAttention.Client;
using DistributedAttention.Core.IO;
using DistributedAttention.Model;
using DistributedAttention.Model.Tests;
using static TorchSharp.torch;

namespace DistributedAttention.Pipeline.Tests;

/// <summary>The model output sink: the file holds exactly what was fed, and chapter vectors equal mean pooling.</summary>
public sealed class HiddenStatesFileSinkTests
{
    private static Tensor Hidden(long n, long d)
    {
        using var generator = new TorchSharp.torch.Generator(11, CPU);
        return randn([n, d], generator: generator);
    }

    private static async Task Feed(IModelOutputSink sink, Tensor hidden, params long[] blockRows)
    {
        await sink.BeginAsync(hidden.shape[0], (int)hidden.shape[1], default);
        long row = 0;
        foreach (var rows in blockRows)
        {
            using var block = hidden.narrow(0, row, rows).contiguous();
            await sink.WriteAsync(row, rows, block.bytes.ToArray(), default);
            row += rows;
        }
        await sink.CompleteAsync(default);
    }

    [Fact]
    public async Task Streamed_states_equal_what_was_fed_and_chapter_vectors_equal_mean_pooling()
    {
        using var dir = new TempDir();
        var path = dir.File("hidden.safetensors");
        using var hidden = Hidden(100, 16);
        (long, long)[] sections = [(0, 7), (7, 50), (50, 51), (51, 100), (20, 80)];
        using var sink = new HiddenStatesFileSink(path, sections, new Dictionary<string, string> { ["book"] = "test" });

        await Feed(sink, hidden, 3, 30, 1, 66);

        using var reader = SafetensorsReader.Open(path);
        Assert.Equal("test", reader.Metadata["book"]);
        using var read = reader.Read(HiddenStatesFileSink.TensorName);
        Assert.Equal(hidden.bytes.ToArray(), read.bytes.ToArray());

        using var expected = ChapterPooling.MeanPool(hidden, sections);
        using var actual = tensor(sink.SectionMeans.Means(), [sections.Length, 16]);
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(expected.allclose(actual, rtol: 1e-5, atol: 1e-6), "section means differ from ChapterPooling.MeanPool.");
        // A plain mean by hand for one section, as a second opinion.
        using var plain = hidden.narrow(0, 7, 43).sum([0]).div(43);
        using var row = actual[1];
        Assert.True(plain.allclose(row, rtol: 1e-5, atol: 1e-6), "section 1 differs from a plain mean.");
    }

    [Fact]
    public async Task Rows_out_of_order_or_of_the_wrong_size_fail_and_leave_no_file()
    {
        using var dir = new TempDir();
        var path = dir.File("hidden.safetensors");
        using (var sink = new HiddenStatesFileSink(path, [(0, 4)]))
        {
            await sink.BeginAsync(8, 2, default);
            var gap = await Assert.ThrowsAsync<InvalidDataException>(() => sink.WriteAsync(4, 4, new byte[32], default).AsTask());
            Assert.Contains("expected row 0", gap.Message);
            var size = await Assert.ThrowsAsync<InvalidDataException>(() => sink.WriteAsync(0, 4, new byte[30], default).AsTask());
            Assert.Contains("holds 30 bytes", size.Message);
            await sink.WriteAsync(0, 4, new byte[32], default);
            var short_ = await Assert.ThrowsAsync<InvalidDataException>(() => sink.CompleteAsync(default).AsTask());
            Assert.Contains("4 hidden-state rows; 8 were expected", short_.Message);
            Assert.Throws<InvalidOperationException>(() => sink.SectionMeans);
        }
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Sections_must_be_non_empty()
    {
        var error = Assert.Throws<ArgumentException>(() => new SectionMeanAccumulator([(3, 3)], 4));
        Assert.Contains("section 0 [3, 3)", error.Message);
    }
}
