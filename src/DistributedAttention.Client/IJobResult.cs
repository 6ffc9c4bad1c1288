using DistributedAttention.Abstractions;

namespace DistributedAttention.Client;

/// <summary>What every finished job gives back besides its outputs.</summary>
public interface IJobResult
{
    /// <summary>The job's plan: shards and their bounds.</summary>
    JobPlan Plan { get; }

    /// <summary>The job's final status (timings, bytes, recoveries, trace id).</summary>
    JobStatus Status { get; }
}
