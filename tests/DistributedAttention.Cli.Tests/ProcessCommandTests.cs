using System.Text.Json;
using DistributedAttention.Contracts;
using DistributedAttention.Core.IO;
using DistributedAttention.Model;
using DistributedAttention.Model.Tests;
using DistributedAttention.Pipeline.Local;
using DistributedAttention.Testing.Processes;
using DistributedAttention.Text;

namespace DistributedAttention.Cli.Tests;

/// <summary><c>distattn process</c> end to end on the bundled sample and the real three-silo cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ProcessCommandTests(ClusterFixture cluster)
{
    private static string SampleBook => Path.Combine(Repo.Root, "samples", "books", "the-north-light.txt");

    [Fact]
    public async Task Processing_the_sample_writes_hidden_states_chapters_and_summary()
    {
        using var dir = new TempDir();
        var output = dir.File("out");
        var run = await CliHarness.RunAsync(cluster, "process", SampleBook, "--output", output,
            "--layers", "2", "--model-dim", "32", "--heads", "4", "--window", "16,16", "--max-tokens", "600", "--wire", "bf16");
        Assert.True(run.ExitCode == ExitCodes.Ok, run.Error);

        var book = BookReader.Read(SampleBook);
        using var reader = SafetensorsReader.Open(Path.Combine(output, "hidden.safetensors"));
        Assert.Equal([600L, 32], reader.GetInfo("hidden").Shape);
        var options = TransformerOptions.FromJson(reader.Metadata["model_options"]);
        Assert.Equal(2, options.Layers);
        Assert.All(options.LayerAttention, spec => Assert.Contains(0L, spec.GlobalPositions));

        // Chapter vectors: the mean hidden state of each section's tokens, rows as listed in chapters.json.
        using var chapterJson = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "chapters.json")));
        var sections = chapterJson.RootElement.EnumerateArray().ToList();
        Assert.Contains(sections, s => s.GetProperty("title").GetString() == "CHAPTER I. The Keeper");
        Assert.Equal(600, sections[^1].GetProperty("token_end").GetInt64());
        var ranges = sections.Select(s => (s.GetProperty("token_start").GetInt64(), s.GetProperty("token_end").GetInt64())).ToList();
        Assert.Equal(book.Sections.Count(s => s.TokenStart < 600), ranges.Count);
        using var hidden = reader.Read("hidden");
        using var expected = ChapterPooling.MeanPool(hidden, ranges);
        using var chapters = Safetensors.Load(Path.Combine(output, "chapters.safetensors"))["chapters"];
        Assert.True(expected.allclose(chapters, rtol: 1e-5, atol: 1e-6), "chapter vectors differ from mean pooling of the written hidden states.");

        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "summary.json")));
        var root = summary.RootElement;
        Assert.Equal(600, root.GetProperty("tokens").GetInt64());
        // One shard per silo by default.
        Assert.Equal(ClusterFixture.Silos, root.GetProperty("shards").GetInt32());
        Assert.Equal(ClusterFixture.Silos, root.GetProperty("silos").GetInt32());
        Assert.Equal("bf16", root.GetProperty("wire").GetString());
        Assert.Equal(ranges.Count, root.GetProperty("sections").GetInt32());
        var phases = root.GetProperty("phases_seconds").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(["tokenize", "upload", "prepare", "layer 0", "layer 1", "download", "write"], phases);
        Assert.True(root.GetProperty("tokens_per_second").GetDouble() > 0);
        // How close to the roof each layer ran, and the memory it took.
        var speed = root.GetProperty("speed");
        Assert.True(speed.GetProperty("matmul_gflops").GetDouble() > 0);
        var layerSpeeds = speed.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(root.GetProperty("model").GetProperty("layers").GetInt32(), layerSpeeds.Count);
        Assert.All(layerSpeeds, l => Assert.True(l.GetProperty("useful_gflop").GetDouble() > 0 && l.GetProperty("gflops").GetDouble() > 0 && l.GetProperty("ratio_to_matmul").GetDouble() > 0));
        var memory = root.GetProperty("memory");
        Assert.True(memory.GetProperty("this_process_bytes").GetInt64() > 0);
        var perSilo = memory.GetProperty("per_silo_bytes").EnumerateObject().ToList();
        Assert.NotEmpty(perSilo);
        Assert.All(perSilo, p => Assert.True(p.Value.GetInt64() > 0, p.Name));
        var bytes = root.GetProperty("bytes");
        var collectives = bytes.GetProperty("by_collective").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        Assert.Equal(collectives.Values.Sum(), bytes.GetProperty("total").GetInt64());
        // Halo: K and V, 16 rows (the window) of 32 bf16 values, both ways across each of the 2 shard boundaries, per layer.
        Assert.Equal(2L * 2 * 2 * 2 * 16 * 32 * 2, collectives["halo"]);
        // Chapter starts are global tokens: their keys and values are gathered, their queries' partials merged.
        Assert.True(collectives["allgather"] > 0 && collectives["reduce-merge"] > 0, bytes.ToString());
        // Each shard keeps a copy of its neighbour's input to every layer for recovery: the int32 token
        // ids for layer 0 (a restore embeds them again), then the fp32 output of each layer but the
        // last (a loss after the job reruns the last layer).
        Assert.Equal(600 * 4 + 1L * 600 * 32 * 4, collectives["backup"]);
        var perLayer = bytes.GetProperty("per_layer").EnumerateArray().Select(e => e.GetInt64()).ToList();
        Assert.Equal(collectives.Values.Sum() - collectives["backup"], perLayer.Sum());
        Assert.Equal(2, bytes.GetProperty("per_layer").GetArrayLength());
        Assert.Equal(0, root.GetProperty("recoveries").GetArrayLength());
        var mechanisms = root.GetProperty("mechanism_per_layer").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(2, mechanisms.Count);
        Assert.All(mechanisms, m => Assert.StartsWith("window (16,16)", m));
        Assert.Equal(32, root.GetProperty("model").GetProperty("model_dim").GetInt32());
        Assert.Equal([0L, 200, 400, 600], root.GetProperty("shard_bounds").EnumerateArray().Select(e => e.GetInt64()));
        var placements = root.GetProperty("placements").EnumerateArray().ToList();
        Assert.Equal([0, 1, 2], placements.Select(p => p.GetProperty("shard").GetInt32()));
        Assert.Equal(3, placements.Select(p => p.GetProperty("silo").GetString()).Distinct().Count());
        Assert.All(placements, p => Assert.Equal("cpu", p.GetProperty("device").GetString()));
    }

    [Fact]
    public async Task Global_every_adds_periodic_global_tokens()
    {
        using var dir = new TempDir();
        var output = dir.File("out");
        var run = await CliHarness.RunAsync(cluster, "process", SampleBook, "-o", output,
            "--layers", "1", "--model-dim", "16", "--heads", "2", "--max-tokens", "300", "--global-every", "100", "--shards", "3");
        Assert.True(run.ExitCode == ExitCodes.Ok, run.Error);
        using var reader = SafetensorsReader.Open(Path.Combine(output, "hidden.safetensors"));
        var globals = TransformerOptions.FromJson(reader.Metadata["model_options"]).LayerAttention[0].GlobalPositions;
        Assert.Contains(100L, globals);
        Assert.Contains(200L, globals);
    }

    [Fact]
    public async Task Verify_compares_the_cluster_with_one_device_and_records_it()
    {
        using var dir = new TempDir();
        var output = dir.File("out");
        var run = await CliHarness.RunAsync(cluster, "process", SampleBook, "-o", output,
            "--layers", "2", "--model-dim", "16", "--heads", "2", "--max-tokens", "500", "--mechanism", "xl", "--segment-length", "64", "--memory-length", "64",
            "--shards", "3", "--verify");
        Assert.True(run.ExitCode == ExitCodes.Ok, run.Error);
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "summary.json")));
        var check = summary.RootElement.GetProperty("verification");
        Assert.True(check.GetProperty("within_tolerance").GetBoolean());
        Assert.InRange(check.GetProperty("max_abs_diff").GetDouble(), 0, 1e-4);

        // A file that is not what the cluster computed fails the check.
        var model = TransformerOptions.FromJson(Safetensors.LoadMetadata(Path.Combine(output, "hidden.safetensors"))["model_options"]);
        var tokens = BookReader.Read(SampleBook).TokenIds[..500];
        var tampered = dir.File("tampered.safetensors");
        using (var hidden = Safetensors.Load(Path.Combine(output, "hidden.safetensors"))["hidden"])
        {
            hidden[250, 3] = hidden[250, 3].add(1e-2);
            Safetensors.Save(tampered, new Dictionary<string, TorchSharp.torch.Tensor> { ["hidden"] = hidden });
        }
        Assert.False(SingleDeviceVerification.Run(model, tokens, tampered).WithinTolerance);
    }

    [Fact]
    public async Task No_recovery_skips_the_neighbour_copies()
    {
        using var dir = new TempDir();
        var output = dir.File("out");
        var run = await CliHarness.RunAsync(cluster, "process", SampleBook, "-o", output,
            "--layers", "1", "--model-dim", "16", "--heads", "2", "--max-tokens", "300", "--no-recovery");
        Assert.True(run.ExitCode == ExitCodes.Ok, run.Error);
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "summary.json")));
        var collectives = summary.RootElement.GetProperty("bytes").GetProperty("by_collective").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        Assert.True(collectives["halo"] > 0);
        Assert.Equal(0, collectives.GetValueOrDefault("backup"));
    }

    [Fact]
    public async Task Two_replicas_double_the_copies()
    {
        using var dir = new TempDir();
        async Task<long> BackupBytes(string replicas)
        {
            var output = dir.File("out-" + replicas);
            var run = await CliHarness.RunAsync(cluster, "process", SampleBook, "-o", output,
                "--layers", "1", "--model-dim", "16", "--heads", "2", "--max-tokens", "300", "--replicas", replicas);
            Assert.True(run.ExitCode == ExitCodes.Ok, run.Error);
            using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "summary.json")));
            return summary.RootElement.GetProperty("bytes").GetProperty("by_collective").GetProperty("backup").GetInt64();
        }
        Assert.Equal(2 * await BackupBytes("1"), await BackupBytes("2"));
    }

    [Fact]
    public async Task A_job_id_that_already_ran_to_the_end_is_refused_clearly()
    {
        using var dir = new TempDir();
        var jobId = "book-" + Guid.NewGuid().ToString("N");
        string[] args = ["process", SampleBook, "--layers", "1", "--model-dim", "16", "--heads", "2", "--max-tokens", "200", "--job-id", jobId];
        var first = await CliHarness.RunAsync(cluster, [.. args, "-o", dir.File("first")]);
        Assert.True(first.ExitCode == ExitCodes.Ok, first.Error);
        using (var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir.File("first"), "summary.json"))))
            Assert.Equal(jobId, summary.RootElement.GetProperty("job_id").GetString());

        var again = await CliHarness.RunAsync(cluster, [.. args, "-o", dir.File("again")]);
        Assert.Equal(ExitCodes.JobFailed, again.ExitCode);
        Assert.Contains($"job {jobId} completed earlier and its output was already read and released; submit under a new job id", again.Error);
    }

    [Fact]
    public async Task A_utf16_book_without_a_byte_order_mark_is_refused_then_read_when_its_encoding_is_named()
    {
        using var dir = new TempDir();
        var wide = dir.File("wide.txt");
        // UTF-16 little-endian with no byte-order mark: detection cannot tell it from binary data.
        await File.WriteAllBytesAsync(wide, System.Text.Encoding.Unicode.GetBytes(await File.ReadAllTextAsync(SampleBook)));
        string[] args = ["process", wide, "--layers", "1", "--model-dim", "16", "--heads", "2", "--max-tokens", "300"];

        var refused = await CliHarness.RunAsync(cluster, [.. args, "-o", dir.File("refused")]);
        Assert.Equal(ExitCodes.Usage, refused.ExitCode);
        Assert.Contains("name the encoding explicitly", refused.Error);

        var named = await CliHarness.RunAsync(cluster, [.. args, "--encoding", "utf-16", "-o", dir.File("named")]);
        Assert.True(named.ExitCode == ExitCodes.Ok, named.Error);
        var plain = await CliHarness.RunAsync(cluster, ["process", SampleBook, "--layers", "1", "--model-dim", "16", "--heads", "2", "--max-tokens", "300", "-o", dir.File("plain")]);
        Assert.True(plain.ExitCode == ExitCodes.Ok, plain.Error);
        // The same text, so the same hidden states as the UTF-8 original.
        using var fromWide = Safetensors.Load(Path.Combine(dir.File("named"), "hidden.safetensors"))["hidden"];
        using var fromPlain = Safetensors.Load(Path.Combine(dir.File("plain"), "hidden.safetensors"))["hidden"];
        Assert.True(fromWide.allclose(fromPlain, rtol: 0, atol: 0), "the UTF-16 book's hidden states differ from the UTF-8 original's.");
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir.File("named"), "summary.json")));
        Assert.Equal("utf-16", summary.RootElement.GetProperty("encoding").GetString());

        var unknown = await CliHarness.RunAsync(cluster, [.. args, "--encoding", "klingon", "-o", dir.File("unknown")]);
        Assert.Equal(ExitCodes.Usage, unknown.ExitCode);
        Assert.Contains("--encoding 'klingon' is not an encoding", unknown.Error);
    }
}
