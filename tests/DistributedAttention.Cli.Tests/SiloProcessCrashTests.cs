using DistributedAttention.Abstractions;
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
public sealed class SiloProcessCrashTests
{
    [Fact]
    public async Task Job_survives_a_silo_process_killed_mid_job()
    {
        TorchRuntime.EnsureLoaded();
        // The test is the client, through silo 0's gateway (silo 0 also holds the membership table: never the victim).
        await using var cluster = await LocalSiloProcesses.StartAsync(3, "--devices", "cpu");

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
            victim = Enumerable.Range(1, 2).First(i => !cluster.IsSilo(status.CoordinatorSilo, i));
            cluster.Silos[victim.Value].Crash();
        });
        var sink = new InMemoryHiddenStates();
        var jobs = new JobClient(cluster.Grains, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(10) });
        var result = await jobs.RunModelAsync(options, ids, new JobOptions(6), sink, progress, default).WaitAsync(TimeSpan.FromMinutes(5));

        Assert.NotNull(victim);
        using var actual = tensor(sink.Data, [1, n, options.ModelDim]);
        TensorAssert.Close(expected, actual, "hidden states after a silo process crash");
        Assert.NotEmpty(result.Status.Recoveries);
        Assert.All(result.Status.Recoveries, r => Assert.True(cluster.IsSilo(r.LostSilo, victim!.Value), $"recovery from {r.LostSilo}"));
        Assert.All(result.Status.Shards, s => Assert.False(cluster.IsSilo(s.Silo, victim!.Value), $"shard {s.Shard} still on the killed silo"));
    }
}
