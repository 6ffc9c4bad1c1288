using Orleans.Concurrency;

namespace DistributedAttention.Abstractions;

/// <summary>
/// The coordinator of one job (key: job id): the control plane. It plans the shards, starts
/// them layer by layer, recovers lost shards and keeps the job's state (persisted, so a job
/// survives its coordinator's silo). No tensor passes through it: clients upload inputs to the
/// shards and read outputs from them directly (<see cref="IShardData"/>), using the plan's bounds.
/// </summary>
[Alias("distattn.IJobGrain")]
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>
    /// Plans the job and makes its shards join it. Idempotent: submitting the same request
    /// under the same job id again returns the job's plan, whatever state it is in.
    /// </summary>
    /// <exception cref="ArgumentException">The request is invalid, or this job id already holds a different request; the message names the problem.</exception>
    [Alias("Submit")]
    Task<JobPlan> SubmitAsync(JobRequest request);

    /// <summary>The job's plan, for a client that reattaches by job id.</summary>
    /// <exception cref="KeyNotFoundException">No job was submitted under this id.</exception>
    [Alias("GetPlan")]
    Task<JobPlan> GetPlanAsync();

    /// <summary>
    /// Starts the job once every shard holds all its inputs (idempotent). When some shard does
    /// not, nothing starts and the answer names those shards: upload their inputs and start again.
    /// </summary>
    [Alias("Start")]
    Task<JobStart> StartAsync();

    /// <summary>The job's status.</summary>
    /// <exception cref="KeyNotFoundException">No job was submitted under this id.</exception>
    [AlwaysInterleave, Alias("GetStatus")]
    Task<JobStatus> GetStatusAsync();

    /// <summary>Stops the job; shards drop their state. A job that already ended is left as it is.</summary>
    [AlwaysInterleave, Alias("Cancel")]
    Task CancelAsync();

    /// <summary>Drops the job's tensors on every shard once the client has read the output; the status stays readable.</summary>
    [Alias("Release")]
    Task ReleaseAsync();

    /// <summary>
    /// Makes completed shard <paramref name="shard"/> readable again when it was lost with its
    /// silo after the job completed: every lost shard is restored from a neighbour's copy of its
    /// input to the last layer, and that layer runs again on every shard (the last layer's output
    /// is not copied). May take as long as a layer.
    /// </summary>
    /// <returns>Where the shard runs now.</returns>
    /// <exception cref="InvalidOperationException">The job has not completed, or no copy survives.</exception>
    [ResponseTimeout("01:00:00"), Alias("RestoreOutput")]
    Task<ShardPlacement> RestoreOutputAsync(int shard);
}
