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
    public static async Task<JobStatus> WaitAsync(IJobGrain job, JobClientOptions options, IProgress<JobStatus>? progress, CancellationToken cancellationToken)
    {
        var lastContact = DateTime.UtcNow;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            JobStatus status;
            try
            {
                status = await job.GetStatusAsync().WaitAsync(PollTimeout, cancellationToken).ConfigureAwait(false);
                lastContact = DateTime.UtcNow;
            }
            catch (Exception e) when (TransientCalls.IsTransient(e))
            {
                if (DateTime.UtcNow - lastContact > options.UnreachableLimit)
                    throw new TimeoutException($"job {job.GetPrimaryKeyString()} did not answer for {options.UnreachableLimit.TotalSeconds:F0} s: {e.Message}", e);
                await Task.Delay(options.PollInterval, cancellationToken).ConfigureAwait(false);
                continue;
            }
            progress?.Report(status);
            switch (status.State)
            {
                case JobState.Completed:
                    return status;
                case JobState.Failed:
                case JobState.Cancelled:
                    throw new JobFailedException(status);
            }
            await Task.Delay(options.PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }
}
