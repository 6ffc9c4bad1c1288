using DistributedAttention.Abstractions;

namespace DistributedAttention.Grains.Jobs;

/// <summary>
/// The shards of one job as the coordinator drives them. On the cluster these are grain calls
/// (<see cref="OrleansJobShards"/>); the layer driver and recovery are written against this
/// seam so they are tested without a cluster.
/// </summary>
internal interface IJobShards
{
    /// <summary>Number of shards.</summary>
    int Count { get; }

    /// <summary>Makes shard <paramref name="shard"/> join the job (idempotent).</summary>
    Task InitializeAsync(int shard);

    /// <summary>What the shard holds and where it runs.</summary>
    Task<ShardProbe> ProbeAsync(int shard);

    /// <summary>Prepares the shard's layer-0 input.</summary>
    Task<LayerReport> PrepareAsync(int shard);

    /// <summary>Runs one attempt at one layer on the shard.</summary>
    Task<LayerReport> RunLayerAsync(int shard, int layer, int attempt);

    /// <summary>Abandons attempts up to <paramref name="attempt"/> on the shard.</summary>
    Task AbortAsync(int shard, int attempt);

    /// <summary>Reloads the shard's input to <paramref name="layer"/> from shard <paramref name="holder"/>'s copy.</summary>
    Task RestoreAsync(int shard, int layer, int holder);

    /// <summary>Gives the shard's successors fresh copies of its input to <paramref name="layer"/>.</summary>
    Task<LayerReport> ReplicateAsync(int shard, int layer);

    /// <summary>Drops the shard's tensors.</summary>
    Task ReleaseAsync(int shard);
}
