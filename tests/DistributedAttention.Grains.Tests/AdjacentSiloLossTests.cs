using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Hosting;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;
using DistributedAttention.Testing;
using DistributedAttention.Testing.Processes;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Tests;

/// <summary>
/// Two silos holding adjacent shards killed at the same moment, four silos, four shards. With two
/// replicas each lost shard's input survives on the shard after the pair, and the job completes
/// equal to one device; with one replica the first copy died with the second silo, and the job
/// fails, naming the shard, while the surviving silos serve on.
/// </summary>
public sealed class AdjacentSiloLossTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_adjacent_silos_killed_at_once_are_survived_with_two_replicas()
    {
        await using var fixture = await Fixture.StartAsync();
        var job = new LossJob(tokens: 24_000, layers: 8);
        using var expected = job.SingleDevice();
        var killer = new PairKiller(fixture.Cluster);
        var sink = new InMemoryHiddenStates();

        var result = await fixture.Jobs.RunModelAsync(job.Options, job.Tokens, new JobOptions(4, Replicas: 2), sink, killer.Progress, default).WaitAsync(TimeSpan.FromMinutes(5));

        await killer.KilledAsync();
        output.WriteLine($"killed {string.Join(", ", killer.Silos)} (shards {string.Join(", ", killer.Shards)}) at {killer.Seen}");
        output.WriteLine($"recoveries: {string.Join("; ", result.Status.Recoveries)}");
        output.WriteLine(string.Join("\n", killer.Log));
        output.WriteLine($"phases: {string.Join("; ", result.Status.Phases)}");
        using var actual = job.AsTensor(sink.Data);
        DistributedJobTests.AssertClose(expected, actual, "hidden states after two adjacent silos were lost");
        Assert.Equal(killer.Shards, result.Status.Recoveries.Select(r => r.Shard).Distinct().Order().ToArray());
        Assert.All(result.Status.Recoveries, r => Assert.Contains(r.LostSilo, killer.Silos));
        Assert.All(result.Status.Shards, s => Assert.DoesNotContain(s.Silo, killer.Silos));
    }

    [Fact]
    public async Task With_one_replica_the_job_fails_naming_the_shard_and_the_survivors_serve_on()
    {
        await using var fixture = await Fixture.StartAsync();
        var job = new LossJob(tokens: 24_000, layers: 8);
        var killer = new PairKiller(fixture.Cluster);

        var failure = await Assert.ThrowsAsync<JobFailedException>(() =>
            fixture.Jobs.RunModelAsync(job.Options, job.Tokens, new JobOptions(4, Replicas: 1), new InMemoryHiddenStates(), killer.Progress, default).WaitAsync(TimeSpan.FromMinutes(5)));

        await killer.KilledAsync();
        // The first shard of the pair kept its only copy on the second.
        Assert.Contains($"shard {killer.First} was lost", failure.Status.Error);
        Assert.Contains("no copy of its input survives", failure.Status.Error);
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 3, WindowRight = 3, GlobalPositions = [0] };
        using var q = randn(1, 2, 64, 8);
        using var single = SingleDeviceAttention.Forward(spec, q, q, q);
        using var after = await fixture.Jobs.RunAttentionAsync(spec, q, q, q, new JobOptions(4), null, default);
        DistributedJobTests.AssertClose(single.Output, after.Output, "a job after the loss");
    }

    /// <summary>Four silos clustered through a real Redis (no primary to spare), one cpu slot each.</summary>
    private sealed class Fixture : IAsyncDisposable
    {
        private RedisServer? redis;

        public LocalCluster Cluster { get; private set; } = null!;

        public JobClient Jobs => new(Cluster.Client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(20) });

        public static async Task<Fixture> StartAsync()
        {
            TorchRuntime.EnsureLoaded();
            var fixture = new Fixture { redis = await RedisServer.StartAsync(TimeSpan.FromSeconds(30)) };
            fixture.Cluster = new LocalCluster(new LocalClusterOptions { Clustering = ClusteringMode.Redis, RedisConnectionString = fixture.redis.ConnectionString });
            await fixture.Cluster.StartAsync(4, ["cpu"]);
            return fixture;
        }

        public async ValueTask DisposeAsync()
        {
            await Cluster.DisposeAsync();
            if (redis is not null) await redis.DisposeAsync();
        }
    }

    /// <summary>Once every shard has done two layers, kills the silos of two adjacent shards s, s+1 at once, neither holding the coordinator.</summary>
    private sealed class PairKiller
    {
        private Task? kill;

        public PairKiller(LocalCluster cluster)
        {
            var addresses = cluster.SiloAddresses.Select(a => a.ToString()).ToList();
            Progress = new SynchronousProgress<JobStatus>(status =>
            {
                if (kill is not null || status.State != JobState.Running || status.Shards.Any(s => s.LayersDone < 2)) return;
                var p = status.Shards.Length;
                var first = Enumerable.Range(0, p).First(s =>
                    status.Shards[s].Silo != status.CoordinatorSilo && status.Shards[(s + 1) % p].Silo != status.CoordinatorSilo && status.Shards[s].Silo != status.Shards[(s + 1) % p].Silo);
                First = first;
                Seen = string.Join(" | ", status.Shards.Select(x => $"{x.Shard}@{x.Silo}:{x.LayersDone}")) + $" coordinator {status.CoordinatorSilo}";
                Shards = [first, (first + 1) % p];
                Array.Sort(Shards);
                Silos = [status.Shards[first].Silo, status.Shards[(first + 1) % p].Silo];
                var watch = System.Diagnostics.Stopwatch.StartNew();
                kill = Task.WhenAll(Silos.Select(async s =>
                {
                    await cluster.KillSiloAsync(addresses.IndexOf(s));
                    lock (Log) Log.Add($"{s} (silo {addresses.IndexOf(s)}) down after {watch.Elapsed.TotalSeconds:F2} s");
                }));
            });
        }

        public IProgress<JobStatus> Progress { get; }

        public List<string> Log { get; } = [];

        public int First { get; private set; }

        public string Seen { get; private set; } = "";

        public int[] Shards { get; private set; } = [];

        public string[] Silos { get; private set; } = [];

        public Task KilledAsync() => kill ?? throw new Xunit.Sdk.XunitException("the job ended before the silos were killed.");
    }
}
