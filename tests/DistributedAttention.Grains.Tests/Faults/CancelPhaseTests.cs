using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;
using DistributedAttention.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace DistributedAttention.Grains.Tests.Faults;

/// <summary>
/// The client cancelled at the first call of the upload or of the output stream: during the upload
/// the job ends Cancelled on the cluster; once it completed, the cancel leaves it Completed and its
/// tensors are released. Either way the next job runs equal to one device.
/// </summary>
public sealed class CancelPhaseTests
{
    [Theory]
    [InlineData(JobPhase.Upload, JobState.Cancelled)]
    [InlineData(JobPhase.Output, JobState.Completed)]
    public async Task A_job_cancelled_in_upload_or_output_ends_cleanly_and_the_next_job_runs(JobPhase phase, JobState after)
    {
        TorchRuntime.EnsureLoaded();
        using var cancel = new CancellationTokenSource();
        var trigger = new CallTrigger(phase == JobPhase.Upload ? nameof(IShardData.LoadInputAsync) : "Enumeration", cancel.Cancel);
        await using var cluster = new LocalCluster();
        await cluster.StartAsync(3, ["cpu"], silo => silo.Services.AddSingleton<IIncomingGrainCallFilter>(new CallTriggerFilter(trigger)));
        var jobs = new JobClient(cluster.Client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(20) });

        var job = new LossJob(tokens: 12_000, layers: 2);
        string? id = null;
        var progress = new SynchronousProgress<JobStatus>(s => id ??= s.JobId);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => jobs.RunModelAsync(job.Options, job.Tokens, new JobOptions(3), new InMemoryHiddenStates(), progress, cancel.Token));
        Assert.True(trigger.Fired, $"no {phase} call was seen.");

        var status = await cluster.Client.GetGrain<IJobGrain>(id!).GetStatusAsync();
        Assert.Equal(after, status.State);
        Assert.True(status.Released, "the cancelled job's tensors were not released.");

        var next = new LossJob(tokens: 3_000, layers: 2, seed: 9);
        using var expected = next.SingleDevice();
        var sink = new InMemoryHiddenStates();
        await jobs.RunModelAsync(next.Options, next.Tokens, new JobOptions(3), sink, null, default).WaitAsync(TimeSpan.FromMinutes(2));
        using var actual = next.AsTensor(sink.Data);
        DistributedJobTests.AssertClose(expected, actual, "the job after the cancel");
    }

    /// <summary>Runs <c>fire</c> once, at the first grain call whose method name contains <c>method</c>.</summary>
    private sealed class CallTrigger(string method, Action fire)
    {
        private int fired;

        public bool Fired => fired == 1;

        public void OnCall(string name)
        {
            if (name.Contains(method, StringComparison.Ordinal) && Interlocked.Exchange(ref fired, 1) == 0) fire();
        }
    }

    private sealed class CallTriggerFilter(CallTrigger trigger) : IIncomingGrainCallFilter
    {
        public Task Invoke(IIncomingGrainCallContext context)
        {
            trigger.OnCall(context.InterfaceMethod?.Name ?? "");
            return context.Invoke();
        }
    }
}
