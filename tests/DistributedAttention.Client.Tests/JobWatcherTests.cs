using DistributedAttention.Abstractions;
using DistributedAttention.Client;

namespace DistributedAttention.Client.Tests;

/// <summary>
/// The client's status polling when the cluster forgets a job it had answered for: with the
/// in-memory job store a record can die with its coordinator's silo, and the client must say so
/// rather than claim the job was never submitted. (The cluster side, where the record usually
/// survives, is Grains: CoordinatorLossTests; which silo holds a record cannot be chosen, so
/// the forgetting coordinator here is a stand-in.)
/// </summary>
public sealed class JobWatcherTests
{
    [Fact]
    public async Task A_job_the_cluster_forgets_after_answering_fails_saying_its_record_was_lost()
    {
        var job = new ForgettingJob(answers: 2);
        var error = await Assert.ThrowsAsync<JobFailedException>(() =>
            JobWatcher.WaitForOutcomeAsync(job, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(1) }, null, default));
        Assert.Equal(JobState.Failed, error.Status.State);
        Assert.Equal(1, error.Status.LayersCompleted);
        Assert.Contains("job lost-one failed: its record was lost with its coordinator's silo", error.Message, StringComparison.Ordinal);
        Assert.Contains("use the Redis job store", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_the_cluster_never_knew_is_still_unknown()
    {
        var job = new ForgettingJob(answers: 0);
        var error = await Assert.ThrowsAsync<KeyNotFoundException>(() =>
            JobWatcher.WaitForOutcomeAsync(job, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(1) }, null, default));
        Assert.Contains("no job lost-one was submitted", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Answers "running" a few times, then answers as a coordinator reactivated without its record does.</summary>
    private sealed class ForgettingJob(int answers) : IJobGrain
    {
        private int calls;

        public Task<JobStatus> GetStatusAsync() =>
            calls++ < answers
                ? Task.FromResult(new JobStatus("lost-one", JobKind.Model, JobState.Running, "layer 1", 4, 1, [], [], [], [], [], [], null, 1.0, "S1"))
                : Task.FromException<JobStatus>(new KeyNotFoundException("no job lost-one was submitted."));

        public Task<JobPlan> SubmitAsync(JobRequest request) => throw new NotSupportedException();

        public Task<JobPlan> GetPlanAsync() => throw new NotSupportedException();

        public Task<JobStart> StartAsync() => throw new NotSupportedException();

        public Task CancelAsync() => throw new NotSupportedException();

        public Task ReleaseAsync() => throw new NotSupportedException();

        public Task<ShardPlacement> RestoreOutputAsync(int shard) => throw new NotSupportedException();
    }
}
