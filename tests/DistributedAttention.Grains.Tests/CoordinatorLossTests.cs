using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Core.Runtime;
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
        await using var cluster = new LocalCluster(new LocalClusterOptions { Clustering = ClusteringMode.Redis, RedisConnectionString = redis.ConnectionString });
        await cluster.StartAsync(3, ["cpu"]);
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
}
