using DistributedAttention.Abstractions;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Model;
using DistributedAttention.Silo;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Tests;

/// <summary>
/// A silo killed in the middle of a job: the shards it held are recomputed on the surviving
/// silos from their neighbours' copies, the job completes with the same output, and its status
/// names the recomputed shards.
/// </summary>
public sealed class SiloLossTests : IAsyncLifetime
{
    private readonly LocalCluster cluster = new();

    public Task InitializeAsync()
    {
        TorchRuntime.EnsureLoaded();
        return cluster.StartAsync(3, ["cpu", "cpu", "cpu"]);
    }

    public async Task DisposeAsync() => await cluster.DisposeAsync();

    [Fact]
    public async Task Job_completes_with_the_same_output_after_a_silo_is_killed_mid_job()
    {
        const int n = 24_000;
        var options = new TransformerOptions
        {
            VocabSize = 1000,
            ModelDim = 32,
            Heads = 4,
            Layers = 8,
            FeedForwardDim = 64,
            Seed = 21,
            LayerAttention = TransformerOptions.Uniform(new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 64, WindowRight = 64, GlobalPositions = [0, 12_345] }, 8),
        };
        using var generator = new Generator(5);
        var ids = randint(0, 1000, [n], dtype: int32, generator: generator).data<int>().ToArray();
        using var model = new TransformerModel(options);
        using var tokens = tensor(ids.Select(i => (long)i).ToArray(), [1, n]);
        using var expected = model.forward(tokens);

        // Kill a silo that hosts shards but neither the coordinator nor the membership table (silo 0).
        var addresses = cluster.SiloAddresses.Select(a => a.ToString()).ToArray();
        Task? kill = null;
        string? victim = null;
        var progress = new Progress<JobStatus>(status =>
        {
            if (kill is not null || status.State != JobState.Running || status.Shards.All(s => s.LayersDone < 2)) return;
            var index = Array.FindIndex(addresses, a => a != status.CoordinatorSilo && a != addresses[0]);
            victim = addresses[index];
            kill = Task.Run(() => cluster.KillSiloAsync(index));
        });
        var sink = new MemorySink();
        var jobs = new Client.JobClient(cluster.Client, new Client.JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(10) });
        var result = await jobs.RunModelAsync(options, ids, new JobOptions(6), sink, progress, default).WaitAsync(TimeSpan.FromMinutes(5));

        Assert.NotNull(kill);
        await kill!;
        using var actual = tensor(sink.Data, [1, n, options.ModelDim]);
        DistributedJobTests.AssertClose(expected, actual, "hidden states after a silo loss");
        Assert.NotEmpty(result.Status.Recoveries);
        Assert.All(result.Status.Recoveries, r =>
        {
            Assert.Equal(victim, r.LostSilo);
            Assert.NotEqual(victim, r.NewSilo);
        });
        // Every shard that lived on the killed silo was recomputed, and only those.
        var lostShards = result.Status.Recoveries.Select(r => r.Shard).Distinct().Order().ToArray();
        Assert.Equal(lostShards, result.Status.Recoveries.Select(r => r.Shard).Order().ToArray());
        Assert.All(result.Status.Shards, s => Assert.NotEqual(victim, s.Silo));
        Assert.Contains(result.Status.Phases, p => p.Phase.StartsWith("recovery", StringComparison.Ordinal));
    }
}
