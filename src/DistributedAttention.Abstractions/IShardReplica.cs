using Orleans.Concurrency;

namespace DistributedAttention.Abstractions;

/// <summary>
/// The copies one shard keeps of its ring predecessors' layer inputs (key "jobId/shard"), so a
/// shard lost with its silo can be rebuilt from them.
/// </summary>
[Alias("distattn.IShardReplica")]
public interface IShardReplica : IGrainWithStringKey
{
    /// <summary>Keeps a block of shard <paramref name="owner"/>'s input to layer <paramref name="layer"/>.</summary>
    [AlwaysInterleave, Alias("StoreBackup")]
    Task StoreBackupAsync(int owner, int layer, TensorChunk chunk);

    /// <summary>The copy of shard <paramref name="owner"/>'s input to layer <paramref name="layer"/>, in chunks.</summary>
    /// <exception cref="InvalidOperationException">No such copy is kept here.</exception>
    [AlwaysInterleave, Alias("ReadBackup")]
    IAsyncEnumerable<TensorChunk> ReadBackupAsync(int owner, int layer, CancellationToken cancellationToken = default);
}
