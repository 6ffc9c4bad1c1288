using System.Collections.Concurrent;
using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;
using DistributedAttention.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DistributedAttention.Grains.Tests;

/// <summary>
/// A client process that dies in the middle of a job (its host stopped, the job not cancelled):
/// the job runs on, and a new client gets the output by the job id, either attaching to it or
/// submitting the same request under the same id again, which uploads nothing a second time.
/// </summary>
public sealed class ClientReattachTests : IAsyncLifetime
{
    private readonly LocalCluster cluster = new();
    private readonly ConcurrentDictionary<string, int> uploads = new();

    public Task InitializeAsync()
    {
        TorchRuntime.EnsureLoaded();
        return cluster.StartAsync(3, ["cpu"], silo => silo.AddIncomingGrainCallFilter(context =>
        {
            if (context.InterfaceMethod.Name == nameof(IShardData.LoadInputAsync))
            {
                var key = context.TargetId.Key.ToString()!;
                uploads.AddOrUpdate(key[..key.LastIndexOf('/')], 1, (_, n) => n + 1);
            }
            return context.Invoke();
        }));
    }

    public async Task DisposeAsync() => await cluster.DisposeAsync();

    [Fact]
    public async Task A_new_client_attaches_by_job_id_and_reads_the_output()
    {
        var job = new LossJob(tokens: 24_000, layers: 16);
        var jobId = "attach-" + Guid.NewGuid().ToString("N");
        await CrashClientMidJobAsync(job, jobId);

        var sink = new InMemoryHiddenStates();
        var statuses = new List<JobStatus>();
        var result = await Jobs().AttachModelAsync(jobId, sink, new SynchronousProgress<JobStatus>(statuses.Add), default).WaitAsync(TimeSpan.FromMinutes(5));

        Assert.Equal(job.Tokens.Length, result.Rows);
        Assert.Equal(0, result.UploadSeconds);
        Assert.Equal(JobState.Completed, statuses[^1].State);
        using var expected = job.SingleDevice();
        using var actual = job.AsTensor(sink.Data);
        DistributedJobTests.AssertClose(expected, actual, "hidden states read by a second client");
    }

    [Fact]
    public async Task Submitting_again_under_the_same_job_id_picks_the_job_up_without_uploading_again()
    {
        var job = new LossJob(tokens: 24_000, layers: 16);
        var jobId = "resubmit-" + Guid.NewGuid().ToString("N");
        await CrashClientMidJobAsync(job, jobId);
        var uploadedOnce = uploads[jobId];

        var sink = new InMemoryHiddenStates();
        var result = await Jobs().RunModelAsync(job.Options, job.Tokens, new JobOptions(3), sink, null, default, jobId).WaitAsync(TimeSpan.FromMinutes(5));

        Assert.Equal(jobId, result.Plan.JobId);
        Assert.Equal(uploadedOnce, uploads[jobId]);
        using var expected = job.SingleDevice();
        using var actual = job.AsTensor(sink.Data);
        DistributedJobTests.AssertClose(expected, actual, "hidden states of the resubmitted job");
        // The same id with another request is refused rather than mixed up.
        var other = new LossJob(tokens: 24_000, layers: 15);
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => Jobs().RunModelAsync(other.Options, other.Tokens, new JobOptions(3), new InMemoryHiddenStates(), null, default, jobId));
        Assert.Contains("already exists with a different request", refused.Message);
    }

    /// <summary>Runs the job from a client host of its own and stops that host once a layer is done, as if its process died.</summary>
    private async Task CrashClientMidJobAsync(LossJob job, string jobId)
    {
        var host = cluster.StartClientHost();
        await host.StartAsync();
        var crash = new TaskCompletionSource();
        var progress = new SynchronousProgress<JobStatus>(status =>
        {
            if (status.Shards.Any(s => s.LayersDone >= 1)) crash.TrySetResult();
        });
        // The client from DI, as an application would take it.
        var client = host.Services.GetRequiredService<JobClient>();
        var run = client.RunModelAsync(job.Options, job.Tokens, new JobOptions(3), new InMemoryHiddenStates(), progress, default, jobId);
        await Task.WhenAny(crash.Task, run).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.False(run.IsCompleted, "the job ended before its client was stopped.");
        await host.StopAsync();
        host.Dispose();
        // The dead client's call fails; the job on the cluster does not (it may have finished meanwhile).
        await Assert.ThrowsAnyAsync<Exception>(() => run);
        Assert.Contains((await cluster.Client.GetGrain<IJobGrain>(jobId).GetStatusAsync()).State, new[] { JobState.Running, JobState.Completed });
    }

    private JobClient Jobs() => new(cluster.Client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(20) });
}
