using System.Net;
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
/// Elastic silos, as compose and Kubernetes drive them: <c>distattn silo</c> processes clustered
/// through a real Redis. A silo sent SIGTERM mid-job drains: a job started meanwhile avoids it,
/// the running job (whose coordinator and a shard it holds) finishes equal to one device with no
/// recovery, then the silo leaves. A silo that joins is used by the next job, and
/// <c>distattn drain</c> (the preStop hook) drains an idle silo at once and turns its /readyz to 503.
/// </summary>
public sealed class SiloDrainProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan SiloStart = TimeSpan.FromSeconds(120);
    private readonly List<ChildProcess> silos = [];
    private readonly List<int> siloPorts = [];
    private RedisServer? redis;
    private string clusterId = "";

    [Fact]
    public async Task A_silo_told_to_stop_drains_without_recomputation_and_a_joining_silo_takes_the_next_job()
    {
        TorchRuntime.EnsureLoaded();
        redis = await RedisServer.StartAsync(TimeSpan.FromSeconds(30));
        clusterId = "drain-" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 3; i++) await StartSiloAsync();

        using var cluster = await RedisClusterClient.StartAsync(redis.ConnectionString, clusterId, 3);
        var client = cluster.Client;
        var jobs = new JobClient(client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(20) });

        // 1. SIGTERM the silo coordinating a running job: it drains instead of dropping the job.
        var job = new LossJob(tokens: 20_000, layers: 8, seed: 5);
        using var expected = job.SingleDevice();
        var stopped = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var progress = new SynchronousProgress<JobStatus>(status =>
        {
            if (stopped.Task.IsCompleted || status.State != JobState.Running || status.LayersCompleted < 2) return;
            var index = IndexOf(status.CoordinatorSilo);
            output.WriteLine($"SIGTERM to {silos[index].Name} ({status.CoordinatorSilo}), coordinator and shard holder, after {status.LayersCompleted} layers");
            silos[index].Terminate();
            stopped.TrySetResult(index);
        });
        var sink = new InMemoryHiddenStates();
        var running = jobs.RunModelAsync(job.Options, job.Tokens, new JobOptions(3), sink, progress, default);
        var victimIndex = await stopped.Task.WaitAsync(TimeSpan.FromMinutes(3));
        var victim = silos[victimIndex];
        var victimPort = $":{siloPorts[victimIndex]}:";
        var draining = await victim.WaitForLineAsync("silo draining:", TimeSpan.FromSeconds(30));
        output.WriteLine(draining);

        // 2. A job started while it drains places nothing on it: once the drain registry lists the
        // silo, every silo's view has caught up within a refresh interval (one second; wait two).
        using (var listed = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            var registry = client.GetGrain<IDrainRegistryGrain>(0);
            while (!(await registry.GetDrainingAsync()).Any(s => s.ToString().Contains(victimPort, StringComparison.Ordinal)))
                await Task.Delay(100, listed.Token);
        }
        await Task.Delay(TimeSpan.FromSeconds(2));
        var small = new LossJob(tokens: 3_000, layers: 2, seed: 6);
        var during = await jobs.RunModelAsync(small.Options, small.Tokens, new JobOptions(3), new InMemoryHiddenStates(), null, default).WaitAsync(TimeSpan.FromMinutes(3));
        Assert.DoesNotContain(victimPort, during.Status.CoordinatorSilo, StringComparison.Ordinal);
        Assert.All(during.Status.Shards, s => Assert.DoesNotContain(victimPort, s.Silo, StringComparison.Ordinal));

        var result = await running.WaitAsync(TimeSpan.FromMinutes(5));
        using var actual = job.AsTensor(sink.Data);
        TensorAssert.Close(expected, actual, "hidden states of a job whose coordinator's silo drained");
        Assert.Empty(result.Status.Recoveries);
        Assert.Empty(result.Status.CoordinatorMoves);
        Assert.Contains(result.Status.Shards, s => s.Silo.Contains(victimPort, StringComparison.Ordinal));
        Assert.Equal(0, await victim.WaitForExitAsync(TimeSpan.FromSeconds(90)));
        Assert.Contains("silo drained:", victim.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("drain timed out", victim.Output, StringComparison.Ordinal);
        output.WriteLine(victim.Output.Split('\n').First(l => l.StartsWith("silo drained:", StringComparison.Ordinal)));

        // 3. A silo that joins is used by the next job.
        var joined = await StartSiloAsync(http: true);
        await cluster.WaitForActiveAsync(3);
        var next = new LossJob(tokens: 3_000, layers: 2, seed: 7);
        var after = await jobs.RunModelAsync(next.Options, next.Tokens, new JobOptions(3), new InMemoryHiddenStates(), null, default).WaitAsync(TimeSpan.FromMinutes(3));
        Assert.Contains(after.Status.Shards, s => s.Silo.Contains($":{siloPorts[^1]}:", StringComparison.Ordinal));

        // 4. The preStop hook: `distattn drain` drains the idle new silo at once; it stops taking traffic.
        var http = joined.Output.Split('\n').First(l => l.StartsWith("silo up:", StringComparison.Ordinal)).Split(" http ")[1].Trim();
        using (var drain = ChildProcess.Start("drain", "drain", "--http", http))
        {
            Assert.Equal(0, await drain.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("silo drained:", drain.Output, StringComparison.Ordinal);
        }
        using var web = new HttpClient { BaseAddress = new Uri(http) };
        using (var ready = await web.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("leaving the cluster", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        joined.Terminate();
        Assert.Equal(0, await joined.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        await cluster.StopAsync();
    }

    private async Task<ChildProcess> StartSiloAsync(bool http = false, string drainTimeout = "00:02:00")
    {
        var ports = FreePorts.Take(2);
        var environment = new Dictionary<string, string>
        {
            ["DistributedAttention__Silo__AdvertisedAddress"] = "127.0.0.1",
            ["DistributedAttention__Silo__DrainTimeout"] = drainTimeout,
        };
        string[] arguments = ["silo", "--redis", redis!.ConnectionString, "--cluster-id", clusterId, "--port", $"{ports[0]}", "--gateway-port", $"{ports[1]}"];
        var silo = ChildProcess.Start($"silo {silos.Count}", environment, http ? [.. arguments, "--http", "0"] : arguments);
        silos.Add(silo);
        siloPorts.Add(ports[0]);
        var up = await silo.WaitForLineAsync("silo up:", SiloStart);
        output.WriteLine(up);
        return silo;
    }

    [Fact]
    public async Task A_drain_longer_than_its_timeout_leaves_anyway_and_the_job_recovers_equal_to_one_device()
    {
        TorchRuntime.EnsureLoaded();
        redis = await RedisServer.StartAsync(TimeSpan.FromSeconds(30));
        clusterId = "drain-timeout-" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 3; i++) await StartSiloAsync(drainTimeout: "00:00:01");
        using var cluster = await RedisClusterClient.StartAsync(redis.ConnectionString, clusterId, 3);
        var client = cluster.Client;
        var jobs = new JobClient(client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(20) });

        var job = new LossJob(tokens: 20_000, layers: 12, seed: 6);
        using var expected = job.SingleDevice();
        int? stopped = null;
        var progress = new SynchronousProgress<JobStatus>(status =>
        {
            if (stopped is not null || status.State != JobState.Running || status.LayersCompleted < 2) return;
            // A silo holding a shard but not the coordinator: its 1 s drain cannot outlast the job.
            stopped = Enumerable.Range(0, silos.Count).First(i => i != IndexOf(status.CoordinatorSilo));
            silos[stopped.Value].Terminate();
        });
        var sink = new InMemoryHiddenStates();
        var result = await jobs.RunModelAsync(job.Options, job.Tokens, new JobOptions(3), sink, progress, default).WaitAsync(TimeSpan.FromMinutes(4));
        Assert.NotNull(stopped);
        var leaving = silos[stopped!.Value];
        await leaving.WaitForExitAsync(TimeSpan.FromSeconds(90));
        Assert.Contains("silo drain timed out:", leaving.Output);
        using (var actual = job.AsTensor(sink.Data)) TensorAssert.Close(expected, actual, "hidden states after a drain timed out");
        var port = $":{siloPorts[stopped.Value]}:";
        Assert.NotEmpty(result.Status.Recoveries);
        Assert.All(result.Status.Recoveries, r => Assert.Contains(port, r.LostSilo, StringComparison.Ordinal));
        await cluster.StopAsync();
    }

    private int IndexOf(string siloAddress) =>
        Enumerable.Range(0, siloPorts.Count).Single(i => siloAddress.Contains($":{siloPorts[i]}:", StringComparison.Ordinal));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var silo in silos) silo.Dispose();
        if (redis is not null) await redis.DisposeAsync();
    }
}
