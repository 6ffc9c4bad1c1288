using System.Text.Json;
using DistributedAttention.Model.Tests;
using DistributedAttention.Testing.Processes;

namespace DistributedAttention.Cli.Tests;

/// <summary>Without <c>--cluster</c>, <c>distattn process</c> starts its own silos in-process and stops them afterwards.</summary>
public sealed class EmbeddedClusterTests
{
    private static string SampleBook => Path.Combine(Repo.Root, "samples", "books", "the-north-light.txt");

    [Fact]
    public async Task Process_runs_on_an_embedded_cluster_of_the_requested_silos()
    {
        using var dir = new TempDir();
        var output = dir.File("out");
        var run = await CliHarness.RunAsync(null, "process", SampleBook, "--output", output, "--silos", "2",
            "--max-tokens", "200", "--layers", "1", "--model-dim", "16", "--heads", "2");
        Assert.True(run.ExitCode == ExitCodes.Ok, run.Error);

        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "summary.json")));
        var root = summary.RootElement;
        Assert.Equal(2, root.GetProperty("silos").GetInt32());
        Assert.Equal(2, root.GetProperty("shards").GetInt32());
        Assert.Equal("an embedded cluster of 2 silo(s)", root.GetProperty("cluster").GetString());
        var silos = root.GetProperty("placements").EnumerateArray().Select(p => p.GetProperty("silo").GetString()).ToList();
        Assert.Equal(2, silos.Distinct().Count());
        Assert.True(File.Exists(Path.Combine(output, "hidden.safetensors")));
    }
}
