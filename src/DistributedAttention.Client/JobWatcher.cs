using DistributedAttention.Abstractions;

namespace DistributedAttention.Client;

/// <summary>Polls a running job until it ends, reporting every status.</summary>
internal static class JobWatcher
{
    /// <summary>The job's final status once it has completed.</summary>
    /// <exception cref="JobFailedException">The job failed or was cancelled on the cluster.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (the caller cancels the job).</exception>
    public static async Task<JobStatus> WaitAsync(IJobGrain job, TimeSpan interval, IProgress<JobStatus>? progress, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var status = await job.GetStatusAsync().ConfigureAwait(false);
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
