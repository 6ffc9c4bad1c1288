using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Testing;
using DistributedAttention.Testing.Processes;
using Xunit.Abstractions;

namespace DistributedAttention.Cli.Tests;

/// <summary>
/// A silo process frozen with SIGSTOP in the middle of a job: it neither answers nor dies. The
/// others declare it dead within seconds (fast failure detection: 1 s probes), the job recovers
/// its shards and ends equal to one device; woken with SIGCONT, the silo finds itself declared
/// dead and leaves, and the next job runs equal to one device without it.
/// </summary>
public sealed class SiloFreezeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_frozen_silo_is_treated_as_lost_and_harms_neither_this_job_nor_the_next_when_it_wakes()
    {
        TorchRuntime.EnsureLoaded();
        await using var cluster = await LocalSiloProcesses.StartAsync(3, "--devices", "cpu");
        var silos = cluster.Silos;
        var management = cluster.Management;

        var job = new LossJob(tokens: 12_000, layers: 8);
        using var expected = job.SingleDevice();
        int? frozen = null;
        var frozenAt = DateTime.MinValue;
        var recoveredAt = DateTime.MinValue;
        var progress = new SynchronousProgress<JobStatus>(status =>
        {
            if (frozen is not null && recoveredAt == DateTime.MinValue && status.Recoveries.Length > 0) recoveredAt = DateTime.UtcNow;
            if (frozen is not null || status.State != JobState.Running || status.Shards.All(s => s.LayersDone < 2)) return;
            // Neither silo 0 (the membership table) nor the coordinator's.
            frozen = Enumerable.Range(1, 2).First(i => !cluster.IsSilo(status.CoordinatorSilo, i));
            frozenAt = DateTime.UtcNow;
            silos[frozen.Value].Freeze();
        });
        var jobs = new JobClient(cluster.Grains, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(20) });
        var sink = new InMemoryHiddenStates();
        // Where the time after the freeze goes (reported, not asserted): membership's verdict, the recovery, the rest of the job.
        using var watching = new CancellationTokenSource();
        var declaredDead = WhenDeclaredDeadAsync(management, () => frozenAt, watching.Token);
        var result = await jobs.RunModelAsync(job.Options, job.Tokens, new JobOptions(6), sink, progress, default).WaitAsync(TimeSpan.FromMinutes(4));
        var took = DateTime.UtcNow - frozenAt;
        await watching.CancelAsync();
        var deadAt = await declaredDead;
        Assert.NotNull(frozen);
        output.WriteLine($"silo {frozen} frozen; declared dead after {Since(deadAt)}, recovery reported after {Since(recoveredAt)}, "
            + $"the job ended {took.TotalSeconds:F1} s later with {result.Status.Recoveries.Length} recoveries");
        foreach (var line in silos.SelectMany(s => s.Output.Split('\n')).Where(l => l.Contains("JobGrain", StringComparison.Ordinal) || l.Contains("LayerDriver", StringComparison.Ordinal))) output.WriteLine(line.Length > 300 ? line[..300] : line);
        string Since(DateTime at) => at == DateTime.MinValue ? "(not seen)" : $"{(at - frozenAt).TotalSeconds:F1} s";
        using (var actual = job.AsTensor(sink.Data)) TensorAssert.Close(expected, actual, "hidden states after a silo froze");
        var victim = $":{cluster.SiloPort(frozen!.Value)}:";
        Assert.NotEmpty(result.Status.Recoveries);
        Assert.All(result.Status.Recoveries, r => Assert.Contains(victim, r.LostSilo, StringComparison.Ordinal));
        Assert.All(result.Status.Shards, s => Assert.DoesNotContain(victim, s.Silo, StringComparison.Ordinal));

        // Woken up, it learns it was declared dead and stops; it takes no part in what follows.
        silos[frozen.Value].Thaw();
        var exit = await silos[frozen.Value].WaitForExitAsync(TimeSpan.FromSeconds(90));
        output.WriteLine($"the woken silo exited with {exit}");
        var next = new LossJob(tokens: 6_000, layers: 3, seed: 3);
        using var nextExpected = next.SingleDevice();
        var nextSink = new InMemoryHiddenStates();
        var nextResult = await jobs.RunModelAsync(next.Options, next.Tokens, new JobOptions(4), nextSink, null, default).WaitAsync(TimeSpan.FromMinutes(2));
        using (var nextActual = next.AsTensor(nextSink.Data)) TensorAssert.Close(nextExpected, nextActual, "the next job");
        Assert.Empty(nextResult.Status.Recoveries);
        Assert.All(nextResult.Status.Shards, s => Assert.DoesNotContain(victim, s.Silo, StringComparison.Ordinal));
    }

    /// <summary>When the cluster's membership first lists only two active silos after the freeze (polled every 250 ms).</summary>
    private static async Task<DateTime> WhenDeclaredDeadAsync(IManagementGrain management, Func<DateTime> frozenAt, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (frozenAt() != DateTime.MinValue && (await management.GetHosts(onlyActive: true).WaitAsync(cancellationToken)).Count < 3) return DateTime.UtcNow;
                await Task.Delay(250, cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or TimeoutException or OrleansException)
            {
                // Cancelled at the job's end, or the call met the frozen silo: ask again.
            }
        }
        return DateTime.MinValue;
    }
}
