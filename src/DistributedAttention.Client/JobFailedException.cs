using DistributedAttention.Abstractions;

namespace DistributedAttention.Client;

/// <summary>The cluster reported a job as failed or cancelled, or it cannot give what was asked (never started, output already released); <see cref="Status"/> holds its last status.</summary>
public sealed class JobFailedException : Exception
{
    /// <summary>A failure described by the job's final status.</summary>
    public JobFailedException(JobStatus status)
        : base(status.State switch
        {
            JobState.Cancelled => $"job {status.JobId} was cancelled on the cluster.",
            JobState.Failed => $"job {status.JobId} failed: {status.Error ?? "no error given"}",
            _ => $"job {status.JobId} {status.Error ?? "cannot be read"}",
        })
    {
        Status = status;
    }

    /// <summary>The job's last status.</summary>
    public JobStatus Status { get; }
}
