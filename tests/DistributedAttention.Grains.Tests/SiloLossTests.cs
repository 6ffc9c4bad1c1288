using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Model;
using DistributedAttention.Silo;
using DistributedAttention.Testing;
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
        var (options, ids) = Job();
        using var model = new TransformerModel(options);
        using var tokens = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Length]);
        using var expected = model.forward(tokens);

        var killer = new MidJobKiller(cluster);
        var sink = new InMemoryHiddenStates();
        var result = await Jobs().RunModelAsync(options, ids, new JobOptions(6), sink, killer.Progress, default).WaitAsync(TimeSpan.FromMinutes(5));

        await killer.KilledAsync();
        using var actual = tensor(sink.Data, [1, ids.Length, options.ModelDim]);
        DistributedJobTests.AssertClose(expected, actual, "hidden states after a silo loss");
        // Exactly the shards that lived on the killed silo were recomputed, once each, elsewhere.
        Assert.Equal(killer.ShardsOnVictim, result.Status.Recoveries.Select(r => r.Shard).Order().ToArray());
        Assert.All(result.Status.Recoveries, r =>
        {
            Assert.Equal(killer.Victim, r.LostSilo);
            Assert.NotEqual(killer.Victim, r.NewSilo);
        });
        Assert.All(result.Status.Shards, s => Assert.NotEqual(killer.Victim, s.Silo));
        Assert.Contains(result.Status.Phases, p => p.Phase.StartsWith("recovery", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_silo_killed_in_the_first_layer_is_restored_from_the_copied_token_ids_embedded_again()
    {
        // Layer 0 is full attention, seconds long, so the kill lands inside it.
        const int n = 12_000;
        var options = Job().Options with
        {
            Layers = 2,
            LayerAttention = [new AttentionSpec { Kind = AttentionKind.Full, WindowLeft = null, WindowRight = null }, new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 16, WindowRight = 16 }],
        };
        var ids = Job().Ids[..n];
        using var model = new TransformerModel(options);
        using var tokens = tensor(ids.Select(i => (long)i).ToArray(), [1, n]);
        using var expected = model.forward(tokens);

        var killer = new MidJobKiller(cluster, status => status.Phase == "layer 0");
        var sink = new InMemoryHiddenStates();
        var result = await Jobs().RunModelAsync(options, ids, new JobOptions(6), sink, killer.Progress, default).WaitAsync(TimeSpan.FromMinutes(5));

        await killer.KilledAsync();
        using var actual = tensor(sink.Data, [1, n, options.ModelDim]);
        DistributedJobTests.AssertClose(expected, actual, "hidden states after a silo loss in layer 0");
        Assert.Equal(killer.ShardsOnVictim, result.Status.Recoveries.Select(r => r.Shard).Order().ToArray());
        Assert.All(result.Status.Recoveries, r => Assert.Equal(0, r.Layer));
        // The copies of the input to layer 0 are the int32 token ids (sent after prepare, and again by
        // every shard after the restore), then the fp32 output of each layer but the last, once.
        Assert.Equal(2L * n * 4 + 1L * n * options.ModelDim * 4, result.Status.BytesByCollective["backup"]);
    }

    [Fact]
    public async Task Without_neighbour_copies_a_lost_silo_fails_the_job_clearly_and_the_rest_serve_on()
    {
        var (options, ids) = Job();
        var killer = new MidJobKiller(cluster);
        var failure = await Assert.ThrowsAsync<Client.JobFailedException>(() =>
            Jobs().RunModelAsync(options, ids, new JobOptions(6, Replicas: 0), new InMemoryHiddenStates(), killer.Progress, default).WaitAsync(TimeSpan.FromMinutes(5)));
        await killer.KilledAsync();
        Assert.Equal(JobState.Failed, failure.Status.State);
        Assert.Contains("no copy of its input survives (replication is off)", failure.Status.Error);

        // The surviving silos still run jobs.
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 3, WindowRight = 3 };
        using var q = randn(1, 2, 64, 8);
        using var expected = SingleDeviceAttention.Forward(spec, q, q, q);
        using var actual = await Jobs().RunAttentionAsync(spec, q, q, q, new JobOptions(3), null, default);
        DistributedJobTests.AssertClose(expected.Output, actual.Output, "a job after the loss");
    }

    private Client.JobClient Jobs() => new(cluster.Client, new Client.JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(10) });

    private static (TransformerOptions Options, int[] Ids) Job()
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
        using var ids = randint(0, 1000, [n], dtype: int32, generator: generator);
        return (options, ids.data<int>().ToArray());
    }
}
