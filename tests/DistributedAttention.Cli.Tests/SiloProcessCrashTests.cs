using System.Net;
using DistributedAttention.Abstractions;
using DistributedAttention.Cli.Cluster;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Model;
using DistributedAttention.Testing;
using DistributedAttention.Testing.Processes;
using static TorchSharp.torch;

namespace DistributedAttention.Cli.Tests;

/// <summary>
/// A silo OS process killed with SIGKILL in the middle of a job on three `distattn silo`
/// processes: nothing tells the cluster, the others find out by probing it; the job completes with
/// the single-device output and reports the shards it recomputed.
/// </summary>
public sealed class SiloProcessCrashTests : IDisposable
{
    private static readonly TimeSpan SiloStart = TimeSpan.FromSeconds(120);
    private readonly List<ChildProcess> silos = [];

    [Fact]
    public async Task Job_survives_a_silo_process_killed_mid_job()
    {
        TorchRuntime.EnsureLoaded();
        var ports = FreePorts.Take(6);
        for (var i = 0; i < 3; i++)
        {
            string[] args = ["silo", "--port", $"{ports[2 * i]}", "--gateway-port", $"{ports[2 * i + 1]}", "--devices", "cpu"];
            if (i > 0) args = [.. args, "--primary", $"127.0.0.1:{ports[0]}"];
            silos.Add(ChildProcess.Start($"silo {i}", args));
            if (i == 0) await silos[0].WaitForLineAsync("silo up:", SiloStart);
        }
        foreach (var silo in silos) await silo.WaitForLineAsync("silo up:", SiloStart);

        // The test is the client, through silo 0's gateway (silo 0 also holds the membership table: never the victim).
        await using var connection = await new GatewayClusterConnector(SiloStart).ConnectAsync(new ClusterChoice(new DnsEndPoint("127.0.0.1", ports[1]), 1), default);
        var management = ((IClusterClient)connection.Grains).GetGrain<IManagementGrain>(0);
        while ((await management.GetHosts(onlyActive: true)).Count < 3) await Task.Delay(200);

        const int n = 30_000;
        var options = new TransformerOptions
        {
            VocabSize = 500, ModelDim = 32, Heads = 4, Layers = 10, FeedForwardDim = 64, Seed = 8,
            LayerAttention = TransformerOptions.Uniform(new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 48, WindowRight = 48, GlobalPositions = [0, 20_000] }, 10),
        };
        var ids = Enumerable.Range(0, n).Select(i => (i * 7919) % 500).ToArray();
        using var model = new TransformerModel(options);
        using var tokens = tensor(ids.Select(i => (long)i).ToArray(), [1, n]);
        using var expected = model.forward(tokens);

        int? victim = null;
        var progress = new SynchronousProgress<JobStatus>(status =>
        {
            if (victim is not null || status.State != JobState.Running || status.Shards.All(s => s.LayersDone < 2)) return;
            // Silo addresses read "S127.0.0.1:PORT:GENERATION"; pick a shard's silo that is neither silo 0 nor the coordinator's.
            victim = Enumerable.Range(1, 2).First(i => !status.CoordinatorSilo.Contains($":{ports[2 * i]}:", StringComparison.Ordinal));
            silos[victim.Value].Crash();
        });
        var sink = new InMemoryHiddenStates();
        var jobs = new JobClient(connection.Grains, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(10) });
        var result = await jobs.RunModelAsync(options, ids, new JobOptions(6), sink, progress, default).WaitAsync(TimeSpan.FromMinutes(5));

        Assert.NotNull(victim);
        using var actual = tensor(sink.Data, [1, n, options.ModelDim]);
        TensorAssert.Close(expected, actual, "hidden states after a silo process crash");
        Assert.NotEmpty(result.Status.Recoveries);
        Assert.All(result.Status.Recoveries, r => Assert.Contains($":{ports[2 * victim!.Value]}:", r.LostSilo, StringComparison.Ordinal));
        Assert.All(result.Status.Shards, s => Assert.DoesNotContain($":{ports[2 * victim!.Value]}:", s.Silo, StringComparison.Ordinal));
    }

    public void Dispose()
    {
        foreach (var silo in silos) silo.Dispose();
    }
}
