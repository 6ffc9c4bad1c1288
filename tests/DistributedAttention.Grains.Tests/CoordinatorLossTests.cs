using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Hosting;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;
using DistributedAttention.Testing;
using DistributedAttention.Testing.Processes;
using Xunit.Abstractions;

namespace DistributedAttention.Grains.Tests;

/// <summary>
/// The silo holding a job's coordinator is killed in the middle of the job (Redis clustering, so
/// no silo holds the membership table; job records in the process's shared store, as in the
/// embedded cluster): the client's next status poll activates the coordinator on another silo,
/// which reads the job's record, restores the shard lost with the same silo and resumes after
/// the last completed layer. The output equals the single-device run.
/// </summary>
public sealed class CoordinatorLossTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_job_whose_coordinator_silo_is_killed_resumes_on_another_silo_with_equal_output()
    {
        TorchRuntime.EnsureLoaded();
        await using var redis = await RedisServer.StartAsync(TimeSpan.FromSeconds(30));
        await using var cluster = await StartAsync(redis, JobStoreKind.InProcess);
        var job = new LossJob();
        using var expected = job.SingleDevice();

        var killer = new CoordinatorKiller(cluster);
        var sink = new InMemoryHiddenStates();
        var jobs = new JobClient(cluster.Client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(20) });
        var result = await jobs.RunModelAsync(job.Options, job.Tokens, new JobOptions(3), sink, killer.Progress, default).WaitAsync(TimeSpan.FromMinutes(5));
        await killer.KilledAsync();
        var (victim, completedAtKill) = (killer.Victim, killer.CompletedAtKill);
        output.WriteLine($"coordinator on {victim} killed after {completedAtKill} layers; moves: {string.Join("; ", result.Status.CoordinatorMoves)}");
        output.WriteLine($"recoveries: {string.Join("; ", result.Status.Recoveries)}");

        using var actual = job.AsTensor(sink.Data);
        DistributedJobTests.AssertClose(expected, actual, "hidden states after the coordinator's silo was killed");
        var move = Assert.Single(result.Status.CoordinatorMoves);
        Assert.Equal(victim, move.LostSilo);
        Assert.NotEqual(victim, move.NewSilo);
        Assert.Equal(move.NewSilo, result.Status.CoordinatorSilo);
        Assert.True(move.LayersCompleted >= completedAtKill, $"the job resumed after {move.LayersCompleted} layers, fewer than the {completedAtKill} completed before the kill.");
        Assert.Contains(result.Status.Phases, p => p.Phase == $"resume (layer {move.LayersCompleted})");
        // The shard that lived on the coordinator's silo was recomputed from its neighbour's copy; nothing runs there now.
        Assert.NotEmpty(result.Status.Recoveries);
        Assert.All(result.Status.Recoveries, r => Assert.Equal(victim, r.LostSilo));
        Assert.All(result.Status.Shards, s => Assert.NotEqual(victim, s.Silo));
        Assert.Equal(job.Options.Layers, result.Status.LayersCompleted);
    }

    /// <summary>
    /// Job records in Orleans' in-memory storage (<see cref="JobStoreKind.Memory"/>, the default of
    /// silo processes without Redis): the record may live on a surviving silo (the job resumes,
    /// equal to one device) or may die with the killed one (the job fails with an error that says
    /// the record was lost). Never a hang, never a wrong output, and the cluster serves the next job.
    /// </summary>
    [Fact]
    public async Task A_coordinator_lost_with_in_memory_records_resumes_or_fails_naming_the_lost_record()
    {
        TorchRuntime.EnsureLoaded();
        await using var redis = await RedisServer.StartAsync(TimeSpan.FromSeconds(30));
        await using var cluster = await StartAsync(redis, JobStoreKind.Memory);
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

    /// <summary>Three silos clustered through Redis (none holds the membership table), job records in <paramref name="store"/>.</summary>
    private static async Task<LocalCluster> StartAsync(RedisServer redis, JobStoreKind store)
    {
        var cluster = new LocalCluster(new LocalClusterOptions { Clustering = ClusteringMode.Redis, RedisConnectionString = redis.ConnectionString, JobStore = store });
        await cluster.StartAsync(3, ["cpu"]);
        return cluster;
    }
}
