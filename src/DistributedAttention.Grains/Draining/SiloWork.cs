using System.Collections.Concurrent;

namespace DistributedAttention.Grains.Draining;

/// <summary>
/// The work running on this silo: shards that joined a job and were not released yet (their
/// job may still read their outputs), and coordinators whose run has not ended. A draining silo
/// waits for both to empty (<see cref="SiloDrain"/>). Thread-safe; a silo singleton.
/// </summary>
public sealed class SiloWork
{
    private readonly ConcurrentDictionary<string, byte> shards = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> coordinators = new(StringComparer.Ordinal);

    /// <summary>Keys ("jobId/shard") of the shards running here.</summary>
    public IReadOnlyList<string> Shards => [.. shards.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Ids of the jobs whose coordinator runs here.</summary>
    public IReadOnlyList<string> Coordinators => [.. coordinators.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Whether nothing runs here.</summary>
    public bool IsIdle => shards.IsEmpty && coordinators.IsEmpty;

    /// <summary>A shard joined its job here.</summary>
    public void ShardJoined(string key) => shards.TryAdd(key, 0);

    /// <summary>A shard was released or deactivated.</summary>
    public void ShardLeft(string key) => shards.TryRemove(key, out _);

    /// <summary>A coordinator's run started here.</summary>
    public void CoordinatorStarted(string jobId) => coordinators.TryAdd(jobId, 0);

    /// <summary>A coordinator's run ended (or stopped) here.</summary>
    public void CoordinatorEnded(string jobId) => coordinators.TryRemove(jobId, out _);
}
