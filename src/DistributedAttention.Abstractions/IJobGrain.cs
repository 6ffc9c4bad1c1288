namespace DistributedAttention.Abstractions;

/// <summary>
/// The coordinator of one job (key: job id). It plans the shards, drives the layers, handles
/// lost shards and streams the output back in order; shards exchange data among themselves.
/// </summary>
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>Plans a model job; then upload the tokens with <see cref="AppendTokensAsync"/> and call <see cref="StartAsync"/>.</summary>
    /// <exception cref="ArgumentException">The request is invalid; the message names the problem.</exception>
    Task<JobPlan> CreateModelJobAsync(ModelJobRequest request);

    /// <summary>Appends token ids (int32 little-endian) at <paramref name="offset"/>.</summary>
    Task AppendTokensAsync(long offset, byte[] tokenIds);

    /// <summary>Plans an attention job; then upload q, k, v to the shards of the plan and call <see cref="StartAsync"/>.</summary>
    /// <exception cref="ArgumentException">The request is invalid; the message names the problem.</exception>
    Task<JobPlan> CreateAttentionJobAsync(AttentionJobRequest request);

    /// <summary>Starts the job in the background; watch it with <see cref="GetStatusAsync"/>.</summary>
    Task StartAsync();

    /// <summary>The job's status.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<JobStatus> GetStatusAsync();

    /// <summary>Stops the job; shards drop their state.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task CancelAsync();

    /// <summary>Drops the job's tensors on every shard; the job's status stays readable.</summary>
    Task ReleaseAsync();

    /// <summary>The output in sequence order, in chunks ("hidden" for a model job; "o" then "lse" for an attention job).</summary>
    /// <exception cref="InvalidOperationException">The job has not completed.</exception>
    IAsyncEnumerable<TensorChunk> ReadOutputAsync(string name, CancellationToken cancellationToken = default);
}
