using Orleans.Concurrency;

namespace DistributedAttention.Abstractions;

/// <summary>
/// One contiguous shard of one job's sequence (key: "jobId/shard"), placed on a device slot in
/// ring order. It computes its rows layer by layer and exchanges halos, global tokens and
/// partial states with its ring neighbours directly.
/// </summary>
public interface IShardGrain : IGrainWithStringKey
{
    /// <summary>Joins a job (or rejoins it after a loss).</summary>
    Task InitializeAsync(ShardAssignment assignment);

    /// <summary>Where this shard runs.</summary>
    [AlwaysInterleave]
    Task<ShardPlacement> GetPlacementAsync();

    /// <summary>Whether this shard holds its input to <paramref name="layer"/> (the layer count: its output); false when it was lost with its silo and reactivated empty.</summary>
    [AlwaysInterleave]
    Task<bool> HoldsInputAsync(int layer);

    /// <summary>Checks the inputs are complete, embeds tokens (model job) and gives the ring neighbour a copy of the layer-0 input.</summary>
    /// <returns>What the shard sent (layer −1: the copy, as "backup").</returns>
    [ResponseTimeout("01:00:00")]
    Task<LayerReport> PrepareAsync();

    /// <summary>Receives a block of this shard's input rows (token ids as "tokens", or "q", "k", "v").</summary>
    Task LoadInputAsync(TensorChunk chunk);

    /// <summary>Computes layer <paramref name="layer"/> (attempt <paramref name="attempt"/>) together with the other shards.</summary>
    [ResponseTimeout("01:00:00")]
    Task<LayerReport> RunLayerAsync(int layer, int attempt);

    /// <summary>A message from another shard of the ring.</summary>
    [AlwaysInterleave]
    Task DeliverAsync(RingMessage message);

    /// <summary>Abandons attempt <paramref name="attempt"/>: pending receives fail, its messages are dropped.</summary>
    [AlwaysInterleave]
    Task AbortAsync(int attempt);

    /// <summary>Keeps a block of shard <paramref name="owner"/>'s input to layer <paramref name="layer"/> for recovery.</summary>
    [AlwaysInterleave]
    Task StoreBackupAsync(int owner, int layer, TensorChunk chunk);

    /// <summary>The backup of shard <paramref name="owner"/>'s input to layer <paramref name="layer"/>, in chunks.</summary>
    IAsyncEnumerable<TensorChunk> ReadBackupAsync(int owner, int layer, CancellationToken cancellationToken = default);

    /// <summary>Reloads this shard's input to <paramref name="layer"/> from its neighbour's backup (after a loss).</summary>
    [ResponseTimeout("01:00:00")]
    Task RestoreAsync(ShardAssignment assignment, int layer);

    /// <summary>This shard's output rows in chunks.</summary>
    IAsyncEnumerable<TensorChunk> ReadOutputAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Drops every tensor of the job.</summary>
    [AlwaysInterleave]
    Task ReleaseAsync();
}
