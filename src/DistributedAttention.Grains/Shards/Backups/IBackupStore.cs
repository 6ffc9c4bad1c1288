using DistributedAttention.Contracts;

namespace DistributedAttention.Grains.Shards.Backups;

/// <summary>
/// The copies one shard keeps of its ring predecessors' layer inputs, as the chunks that arrived.
/// Only the newest two layers per owner are kept, and none older than the layer this shard
/// runs: a retry never goes further back. Used from one grain activation at a time.
/// </summary>
internal interface IBackupStore : IDisposable
{
    /// <summary>Bytes held.</summary>
    long Bytes { get; }

    /// <summary>Keeps a chunk of <paramref name="owner"/>'s input to <paramref name="layer"/>; the same rows again replace the first copy.</summary>
    void Store(int owner, int layer, TensorChunk chunk);

    /// <summary>The chunks of <paramref name="owner"/>'s input to <paramref name="layer"/>, ordered by tensor name and row.</summary>
    /// <exception cref="InvalidOperationException">No such copy is kept here.</exception>
    IEnumerable<TensorChunk> Read(int owner, int layer);

    /// <summary>
    /// Drops the copies of inputs to layers before <paramref name="layer"/> and refuses late chunks
    /// of them: once a layer starts, every shard has finished the one before, so no retry needs them.
    /// </summary>
    void DropBefore(int layer);

    /// <summary>Drops every copy.</summary>
    void Clear();
}
