using DistributedAttention.Abstractions;

namespace DistributedAttention.Client;

/// <summary>The cluster reported a job as failed (or cancelled by someone else); <see cref="Status"/> holds its last status.</summary>
public sealed class JobFailedException : Exception
{
    /// <summary>A failure described by the job's final status.</summary>
    public JobFailedException(JobStatus status)
        : base(status.State == JobState.Cancelled
            ? $"job {status.JobId} was cancelled on the cluster."
            : $"job {status.JobId} failed: {status.Error ?? "no error given"}")
    {
        Status = status;
    }

    /// <summary>The job's last status.</summary>
    public JobStatus Status { get; }
}
