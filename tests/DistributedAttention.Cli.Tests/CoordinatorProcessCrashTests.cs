using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Testing;
using DistributedAttention.Testing.Processes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace DistributedAttention.Cli.Tests;

/// <summary>
/// Three <c>distattn silo</c> processes clustered through a real Redis, which also keeps the job
/// records. The process holding a job's coordinator, found through the job's status, is killed
/// with SIGKILL mid-job: nothing tells the cluster; the survivors find the death by probing, the
/// client's next poll activates the coordinator on another silo, which reads the record from
/// Redis and resumes after the last completed layer. The output equals one device's.
/// </summary>
public sealed class CoordinatorProcessCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan SiloStart = TimeSpan.FromSeconds(120);
    private readonly List<ChildProcess> silos = [];
    private RedisServer? redis;

    [Fact]
    public async Task A_job_survives_the_SIGKILL_of_its_coordinators_silo_process()
    {
        TorchRuntime.EnsureLoaded();
        redis = await RedisServer.StartAsync(TimeSpan.FromSeconds(30));
        var clusterId = "crash-" + Guid.NewGuid().ToString("N")[..8];
        // Settings by environment, as containers give them; fast failure detection, since nothing tells the cluster of a SIGKILL.
        var environment = new Dictionary<string, string>
        {
            ["DistributedAttention__Silo__FastFailureDetection"] = "true",
            ["DistributedAttention__Silo__AdvertisedAddress"] = "127.0.0.1",
        };
        var ports = FreePorts.Take(6);
        for (var i = 0; i < 3; i++)
        {
            silos.Add(ChildProcess.Start($"silo {i}", environment, "silo", "--redis", redis.ConnectionString, "--cluster-id", clusterId,
                "--port", $"{ports[2 * i]}", "--gateway-port", $"{ports[2 * i + 1]}"));
        }
        foreach (var silo in silos)
        {
            var up = await silo.WaitForLineAsync("silo up:", SiloStart);
            Assert.Contains(" jobs redis", up);
            Assert.StartsWith("silo up: S127.0.0.1:", up);
        }

        // The client finds every gateway in Redis, so losing one silo does not cut it off.
        using var cluster = await RedisClusterClient.StartAsync(redis.ConnectionString, clusterId, 3);
        var client = cluster.Client;

        var job = new LossJob(tokens: 30_000, layers: 10, seed: 8);
        using var expected = job.SingleDevice();
        ChildProcess? victim = null;
        var completedAtKill = -1;
        var progress = new SynchronousProgress<JobStatus>(status =>
        {
            if (victim is not null || status.State != JobState.Running || status.LayersCompleted < 2) return;
            // Silo addresses read "S127.0.0.1:PORT:GENERATION" (the address from the environment).
            var index = Enumerable.Range(0, 3).Single(i => status.CoordinatorSilo.Contains($":{ports[2 * i]}:", StringComparison.Ordinal));
            (victim, completedAtKill) = (silos[index], status.LayersCompleted);
            output.WriteLine($"killing {victim.Name} ({status.CoordinatorSilo}), the coordinator, after {completedAtKill} layers");
            victim.Crash();
        });
        var sink = new InMemoryHiddenStates();
        var jobs = new JobClient(client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(20) });
        var result = await jobs.RunModelAsync(job.Options, job.Tokens, new JobOptions(3), sink, progress, default).WaitAsync(TimeSpan.FromMinutes(5));

        Assert.NotNull(victim);
        output.WriteLine($"moves: {string.Join("; ", result.Status.CoordinatorMoves)}; recoveries: {string.Join("; ", result.Status.Recoveries)}");
        using var actual = job.AsTensor(sink.Data);
        TensorAssert.Close(expected, actual, "hidden states after the coordinator's process was killed");
        var move = Assert.Single(result.Status.CoordinatorMoves);
        Assert.True(move.LayersCompleted >= completedAtKill);
        Assert.Equal(move.NewSilo, result.Status.CoordinatorSilo);
        Assert.NotEmpty(result.Status.Recoveries);
        Assert.All(result.Status.Recoveries, r => Assert.Equal(move.LostSilo, r.LostSilo));
        Assert.All(result.Status.Shards, s => Assert.NotEqual(move.LostSilo, s.Silo));
        await cluster.StopAsync();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // xunit 2 calls IAsyncLifetime on test classes, not IAsyncDisposable: without it the silos and Redis outlived the test.
    public async Task DisposeAsync()
    {
        foreach (var silo in silos) silo.Dispose();
        if (redis is not null) await redis.DisposeAsync();
    }
}
