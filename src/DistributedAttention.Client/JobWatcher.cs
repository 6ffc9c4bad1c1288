using DistributedAttention.Abstractions;

namespace DistributedAttention.Client;

/// <summary>Polls a running job until it ends, reporting every status.</summary>
internal static class JobWatcher
{
    // A gateway silo can die while a poll is in flight; the job itself carries on elsewhere.
    private static readonly TimeSpan PollTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan UnreachableLimit = TimeSpan.FromMinutes(2);

    /// <summary>The job's final status once it has completed.</summary>
    /// <exception cref="JobFailedException">The job failed or was cancelled on the cluster.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (the caller cancels the job).</exception>
    public static async Task<JobStatus> WaitAsync(IJobGrain job, TimeSpan interval, IProgress<JobStatus>? progress, CancellationToken cancellationToken)
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
            catch (Exception e) when (e is TimeoutException or OrleansException && DateTime.UtcNow - lastContact < UnreachableLimit)
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
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
            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
        }
    }
}
