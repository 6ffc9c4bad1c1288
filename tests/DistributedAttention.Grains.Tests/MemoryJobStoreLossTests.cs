using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Silo;
using DistributedAttention.Testing;
using DistributedAttention.Testing.Processes;
using Xunit.Abstractions;

namespace DistributedAttention.Grains.Tests;

/// <summary>
/// Job records in Orleans' in-memory storage (<see cref="JobStoreKind.Memory"/>, the default of
/// silo processes without Redis), and the coordinator's silo killed mid-job: the record may live
/// on a surviving silo (the job resumes, equal to one device) or may die with the killed one (the
/// job fails with an error that says the record was lost). Never a hang, never a wrong output,
/// and the cluster serves the next job.
/// </summary>
public sealed class MemoryJobStoreLossTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_coordinator_lost_with_in_memory_records_resumes_or_fails_naming_the_lost_record()
    {
        TorchRuntime.EnsureLoaded();
        await using var redis = await RedisServer.StartAsync(TimeSpan.FromSeconds(30));
        await using var cluster = new LocalCluster(new LocalClusterOptions { Clustering = ClusteringMode.Redis, RedisConnectionString = redis.ConnectionString, JobStore = JobStoreKind.Memory });
        await cluster.StartAsync(3, ["cpu"]);
        var job = new LossJob();
        using var expected = job.SingleDevice();

        var killer = new CoordinatorKiller(cluster);
        var sink = new InMemoryHiddenStates();
        var jobs = new JobClient(cluster.Client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(20) });
        var run = jobs.RunModelAsync(job.Options, job.Tokens, new JobOptions(3), sink, killer.Progress, default);
        var error = await Record.ExceptionAsync(() => run.WaitAsync(TimeSpan.FromMinutes(5)));
        await killer.KilledAsync();
        var victim = killer.Victim;
        output.WriteLine($"coordinator on {victim} killed: {error?.GetType().Name} {error?.Message ?? "resumed"}");
        if (error is null)
        {
            using var actual = job.AsTensor(sink.Data);
            DistributedJobTests.AssertClose(expected, actual, "hidden states after the coordinator's silo was killed");
            Assert.Equal(victim, Assert.Single((await run).Status.CoordinatorMoves).LostSilo);
        }
        else
        {
            Assert.IsNotType<TimeoutException>(error);
            Assert.Contains("record", error.Message, StringComparison.OrdinalIgnoreCase);
        }

        var next = new LossJob(tokens: 3_000, layers: 2, seed: 9);
        using var nextExpected = next.SingleDevice();
        var nextSink = new InMemoryHiddenStates();
        await jobs.RunModelAsync(next.Options, next.Tokens, new JobOptions(2), nextSink, null, default).WaitAsync(TimeSpan.FromMinutes(3));
        using var nextActual = next.AsTensor(nextSink.Data);
        DistributedJobTests.AssertClose(nextExpected, nextActual, "the next job");
    }
}
