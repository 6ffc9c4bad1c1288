using System.Text.Json;
using DistributedAttention.Cli.Cluster;
using DistributedAttention.Contracts;
using DistributedAttention.Core.IO;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Model;
using DistributedAttention.Model.Tests;
using DistributedAttention.Testing.Processes;
using DistributedAttention.Text;
using static TorchSharp.torch;

namespace DistributedAttention.Cli.Tests;

/// <summary>
/// The deployment shape on one machine: three <c>distattn silo</c> processes (the first the
/// primary, the others joining it), and <c>distattn process --cluster</c> as a fourth process
/// connecting through the primary's gateway, all with the default cluster and service ids.
/// </summary>
public sealed class MultiProcessClusterTests : IDisposable
{
    private static readonly TimeSpan SiloStart = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(240);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(40);
    private readonly ChildProcesses children = new();
    private readonly TempDir dir = new();

    private static string SampleBook => Path.Combine(Repo.Root, "samples", "books", "the-north-light.txt");

    [Fact]
    public async Task Three_silo_processes_run_the_sample_book_like_one_device()
    {
        var ports = FreePorts.Take(6);
        var silos = new List<ChildProcess>();
        for (var i = 0; i < 3; i++)
        {
            string[] args = ["silo", "--port", $"{ports[2 * i]}", "--gateway-port", $"{ports[2 * i + 1]}", "--devices", "cpu"];
            if (i > 0) args = [.. args, "--primary", $"127.0.0.1:{ports[0]}"];
            silos.Add(Spawn($"silo {i}", args));
            // The primary holds the membership table: the others can only join once it is up.
            if (i == 0) await silos[0].WaitForLineAsync("silo up:", SiloStart);
        }
        foreach (var silo in silos)
        {
            var up = await silo.WaitForLineAsync("silo up:", SiloStart);
            Assert.Contains(" cluster distattn", up);
        }
        var gateway = $"127.0.0.1:{ports[1]}";
        await WaitForSilosAsync(gateway, 3);

        var output = dir.File("out");
        var cli = Spawn("distattn process", "process", SampleBook, "--cluster", gateway, "--shards", "3", "--output", output);
        var code = await cli.WaitForExitAsync(JobTimeout);
        Assert.True(code == ExitCodes.Ok, $"distattn process exited with {code}:\n{cli.Output}\n-- silo 0:\n{silos[0].Output}");

        // The hidden states equal one device's forward pass over the same tokens.
        using (var reader = SafetensorsReader.Open(Path.Combine(output, "hidden.safetensors")))
        {
            var options = TransformerOptions.FromJson(reader.Metadata["model_options"]);
            var book = BookReader.Read(SampleBook);
            using var model = new TransformerModel(options);
            using var ids = tensor(book.TokenIds.Select(t => (long)t).ToArray(), [1, book.TokenCount]);
            using var expected = model.forward(ids);
            using var hidden = reader.Read("hidden");
            TensorAssert.Close(expected[0], hidden, "hidden states of three silo processes");
        }

        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "summary.json")));
        var root = summary.RootElement;
        Assert.Equal(3, root.GetProperty("shards").GetInt32());
        Assert.Equal(3, root.GetProperty("silos").GetInt32());
        Assert.Equal($"the cluster at {gateway}", root.GetProperty("cluster").GetString());
        Assert.True(root.GetProperty("bytes").GetProperty("total").GetInt64() > 0, "no bytes were exchanged between the silos.");
        Assert.True(root.GetProperty("bytes").GetProperty("by_collective").GetProperty("halo").GetInt64() > 0, "no halo crossed the shard boundaries.");
        Assert.Equal(0, root.GetProperty("recoveries").GetArrayLength());
        var placed = root.GetProperty("placements").EnumerateArray().Select(p => p.GetProperty("silo").GetString()).ToList();
        Assert.Equal(3, placed.Count);
        Assert.Equal(3, placed.Distinct().Count());

        // SIGTERM stops a silo gracefully, as Ctrl+C does; the primary goes last.
        for (var i = silos.Count - 1; i >= 0; i--)
        {
            silos[i].Terminate();
            Assert.Equal(0, await silos[i].WaitForExitAsync(StopTimeout));
            Assert.Contains("silo stopped.", silos[i].Output);
        }
    }

    public void Dispose()
    {
        children.Dispose();
        dir.Dispose();
    }

    private ChildProcess Spawn(string name, params string[] args) => children.Start(name, args);

    /// <summary>Waits until the gateway's silo sees <paramref name="count"/> active silos, so placement spreads over all of them.</summary>
    private static async Task WaitForSilosAsync(string gateway, int count)
    {
        TorchRuntime.EnsureLoaded();
        var endpoint = Pipeline.ValueParsers.Endpoint(gateway, "gateway");
        var deadline = DateTime.UtcNow + SiloStart;
        await using var connection = await new GatewayClusterConnector(SiloStart).ConnectAsync(new ClusterChoice(endpoint, 1), default);
        while (true)
        {
            var hosts = await ((IClusterClient)connection.Grains).GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
            if (hosts.Count == count) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the cluster at {gateway} has {hosts.Count} active silos, not {count}.");
            await Task.Delay(200);
        }
    }
}
