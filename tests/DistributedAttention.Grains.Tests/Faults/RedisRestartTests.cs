using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Hosting;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;
using DistributedAttention.Testing;
using DistributedAttention.Testing.Processes;
using Xunit.Abstractions;

namespace DistributedAttention.Grains.Tests.Faults;

/// <summary>
/// Redis (the membership table and the job records) restarted in the middle of a job, down for
/// two seconds, with its append-only file kept: the silos ride it out, the job ends equal to one
/// device, and the next job runs.
/// </summary>
public sealed class RedisRestartTests(ITestOutputHelper output) : IDisposable
{
    private readonly string data = Directory.CreateTempSubdirectory("distattn-redis-").FullName;

    [Fact]
    public async Task A_job_survives_redis_restarting_under_it_and_the_next_job_runs()
    {
        TorchRuntime.EnsureLoaded();
        await using var redis = await RedisServer.StartAsync(TimeSpan.FromSeconds(30), data);
        await using var cluster = new LocalCluster(new LocalClusterOptions
        {
            Clustering = ClusteringMode.Redis,
            RedisConnectionString = redis.ConnectionString,
            JobStore = JobStoreKind.Redis,
        });
        await cluster.StartAsync(3, ["cpu"]);
        var jobs = new JobClient(cluster.Client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(20) });

        var job = new LossJob(tokens: 12_000, layers: 10);
        using var expected = job.SingleDevice();
        Task? restart = null;
        var progress = new SynchronousProgress<JobStatus>(status =>
        {
            if (restart is null && status.State == JobState.Running && status.LayersCompleted >= 2)
                restart = Task.Run(() => redis.RestartAsync(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30)));
        });
        var sink = new InMemoryHiddenStates();
        var result = await jobs.RunModelAsync(job.Options, job.Tokens, new JobOptions(3), sink, progress, default).WaitAsync(TimeSpan.FromMinutes(4));
        Assert.NotNull(restart);
        await restart!;
        output.WriteLine($"completed across the restart: {result.Status.Recoveries.Length} recoveries, {result.Status.CoordinatorMoves.Length} coordinator moves");
        using (var actual = job.AsTensor(sink.Data)) DistributedJobTests.AssertClose(expected, actual, "hidden states across a Redis restart");

        var next = new LossJob(tokens: 3_000, layers: 2, seed: 7);
        using var nextExpected = next.SingleDevice();
        var nextSink = new InMemoryHiddenStates();
        await jobs.RunModelAsync(next.Options, next.Tokens, new JobOptions(3), nextSink, null, default).WaitAsync(TimeSpan.FromMinutes(2));
        using var nextActual = next.AsTensor(nextSink.Data);
        DistributedJobTests.AssertClose(nextExpected, nextActual, "the job after the restart");
    }

    public void Dispose() => Directory.Delete(data, recursive: true);
}
