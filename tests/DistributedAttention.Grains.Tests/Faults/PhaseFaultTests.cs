using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Hosting;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;
using DistributedAttention.Testing;
using DistributedAttention.Testing.Processes;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace DistributedAttention.Grains.Tests.Faults;

/// <summary>One Redis for the phase fault tests (Redis clustering: no silo holds the membership table, so any silo may die).</summary>
public sealed class FaultRedis : IAsyncLifetime
{
    public RedisServer? Server { get; private set; }

    public async Task InitializeAsync() => Server = await RedisServer.StartAsync(TimeSpan.FromSeconds(30));

    public async Task DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
    }
}

/// <summary>
/// A silo killed in each phase of a job (upload, prepare, a layer, a ring exchange, the output
/// stream), once a silo holding only a shard and once the coordinator's silo: the output equals
/// one device (a shard lost with its uploaded inputs before any copy exists sends the job back
/// to its upload, and the client uploads again), and the cluster runs the next job correctly.
/// </summary>
public sealed class PhaseFaultTests(FaultRedis redis, ITestOutputHelper output) : IClassFixture<FaultRedis>
{
    [Theory]
    [InlineData(JobPhase.Upload, false)]
    [InlineData(JobPhase.Upload, true)]
    [InlineData(JobPhase.Prepare, false)]
    [InlineData(JobPhase.Prepare, true)]
    [InlineData(JobPhase.Layer, false)]
    [InlineData(JobPhase.Layer, true)]
    [InlineData(JobPhase.Exchange, false)]
    [InlineData(JobPhase.Exchange, true)]
    [InlineData(JobPhase.Output, false)]
    [InlineData(JobPhase.Output, true)]
    public async Task A_silo_lost_in_any_phase_leaves_the_output_equal_and_the_next_job_runs(JobPhase phase, bool coordinator)
    {
        TorchRuntime.EnsureLoaded();
        PhaseTrap? trap = null;
        await using var cluster = new LocalCluster(new LocalClusterOptions { Clustering = ClusteringMode.Redis, RedisConnectionString = redis.Server!.ConnectionString });
        await cluster.StartAsync(3, ["cpu"], silo => silo.Services.AddSingleton<IIncomingGrainCallFilter>(sp => new PhaseTrapFilter(() => trap, sp.GetRequiredService<ILocalSiloDetails>())));
        trap = new PhaseTrap(cluster, phase, coordinator);
        var jobs = new JobClient(cluster.Client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(20) });

        var job = new LossJob(tokens: 12_000, layers: 4);
        using var expected = job.SingleDevice();
        var sink = new InMemoryHiddenStates();
        ModelJobResult? result = null;
        JobFailedException? failure = null;
        try
        {
            result = await jobs.RunModelAsync(job.Options, job.Tokens, new JobOptions(3), sink, trap.Progress, default).WaitAsync(TimeSpan.FromMinutes(4));
        }
        catch (JobFailedException e)
        {
            failure = e;
        }
        Assert.True(trap.Kill is not null, $"no call of the {phase} phase reached a {(coordinator ? "coordinator's" : "shard's")} silo.");
        await trap.Kill!;
        output.WriteLine($"{phase}, {(coordinator ? "coordinator's silo" : "a shard's silo")} {trap.Victim}: "
            + (failure?.Message ?? $"completed; recoveries {result!.Status.Recoveries.Length}, coordinator moves {result.Status.CoordinatorMoves.Length}"));

        if (failure is null)
        {
            using var actual = job.AsTensor(sink.Data);
            DistributedJobTests.AssertClose(expected, actual, $"hidden states after a silo lost in {phase}");
            // The job's status now (the result holds the one from before the output was read): nothing runs on the victim,
            // and a loss after the first copies existed was recovered from them.
            var status = await cluster.Client.GetGrain<IJobGrain>(result!.Plan.JobId).GetStatusAsync();
            Assert.NotEqual(trap.Victim, status.CoordinatorSilo);
            // (The coordinator's silo may have died after its own shard was read: that shard needed no recovery.)
            if (!(phase is JobPhase.Output && coordinator)) Assert.All(status.Shards, s => Assert.NotEqual(trap.Victim, s.Silo));
            if (phase is JobPhase.Layer or JobPhase.Exchange) Assert.Contains(status.Recoveries, r => r.LostSilo == trap.Victim);
            // A shard's silo lost before the client read it: restored to its input to the last layer, which ran again.
            if (phase is JobPhase.Output && !coordinator) Assert.Contains(status.Recoveries, r => r.LostSilo == trap.Victim && r.Layer == job.Options.Layers - 1);
        }
        else
        {
            Assert.Fail($"the job failed: {failure.Message}");
        }

        // The cluster serves the next job, equal to one device.
        var next = new LossJob(tokens: 3_000, layers: 2, seed: 5);
        using var nextExpected = next.SingleDevice();
        var nextSink = new InMemoryHiddenStates();
        await jobs.RunModelAsync(next.Options, next.Tokens, new JobOptions(2), nextSink, null, default).WaitAsync(TimeSpan.FromMinutes(2));
        using var nextActual = next.AsTensor(nextSink.Data);
        DistributedJobTests.AssertClose(nextExpected, nextActual, "the next job");
    }
}
