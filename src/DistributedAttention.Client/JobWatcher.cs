using DistributedAttention.Abstractions;

namespace DistributedAttention.Client;

/// <summary>Polls a job until it ends, reporting every status. A lost coordinator resumes on another silo when polled, so polls keep going through a silo loss.</summary>
internal static class JobWatcher
{
    // A gateway or the coordinator's silo can die while a poll is in flight; the job carries on elsewhere.
    private static readonly TimeSpan PollTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The job's final status once it has completed.</summary>
    /// <exception cref="JobFailedException">The job failed or was cancelled on the cluster.</exception>
    /// <exception cref="TimeoutException">The job stayed unreachable for longer than <see cref="JobClientOptions.UnreachableLimit"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (the caller cancels the job).</exception>
    public static Task<JobStatus> WaitAsync(IJobGrain job, JobClientOptions options, IProgress<JobStatus>? progress, CancellationToken cancellationToken) =>
        WaitUntilAsync(job, options, progress, s => s.State == JobState.Completed, cancellationToken);

    /// <summary>The job's status once it has completed, or gone back to its upload (Created again: shards lost their inputs before it was prepared).</summary>
    /// <exception cref="JobFailedException">The job failed or was cancelled on the cluster.</exception>
    public static Task<JobStatus> WaitForOutcomeAsync(IJobGrain job, JobClientOptions options, IProgress<JobStatus>? progress, CancellationToken cancellationToken) =>
        WaitUntilAsync(job, options, progress, s => s.State is JobState.Completed or JobState.Created, cancellationToken);

    /// <summary>The job's status once it has left the admission queue (admitted: it may upload).</summary>
    /// <exception cref="JobFailedException">The job failed or was cancelled while it waited.</exception>
    public static Task<JobStatus> WaitForAdmissionAsync(IJobGrain job, JobClientOptions options, IProgress<JobStatus>? progress, CancellationToken cancellationToken) =>
        WaitUntilAsync(job, options, progress, s => s.State != JobState.Queued, cancellationToken);

    private static async Task<JobStatus> WaitUntilAsync(IJobGrain job, JobClientOptions options, IProgress<JobStatus>? progress, Func<JobStatus, bool> done, CancellationToken cancellationToken)
    {
        var lastContact = DateTime.UtcNow;
        JobStatus? last = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            JobStatus status;
            try
            {
                status = await job.GetStatusAsync().WaitAsync(PollTimeout, cancellationToken).ConfigureAwait(false);
                lastContact = DateTime.UtcNow;
                last = status;
            }
            catch (KeyNotFoundException) when (last is not null)
            {
                // It answered before, so it was submitted: its record died with a silo (in-memory job store).
                throw new JobFailedException(last with
                {
                    State = JobState.Failed,
                    Error = "its record was lost with its coordinator's silo: the silos keep job records in memory "
                        + "(job store Memory), which does not survive that silo; submit it again, and use the Redis job store to survive such a loss.",
                });
            }
            catch (Exception e) when (TransientCalls.IsTransient(e))
            {
                if (DateTime.UtcNow - lastContact > options.UnreachableLimit)
                    throw new TimeoutException($"job {job.GetPrimaryKeyString()} did not answer for {options.UnreachableLimit.TotalSeconds:F0} s: {e.Message}", e);
                await Task.Delay(options.PollInterval, cancellationToken).ConfigureAwait(false);
                continue;
            }
            progress?.Report(status);
            if (status.State is JobState.Failed or JobState.Cancelled) throw new JobFailedException(status);
            if (done(status)) return status;
            await Task.Delay(options.PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }
}
