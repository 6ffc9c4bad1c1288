using Orleans.Concurrency;

namespace DistributedAttention.Abstractions;

/// <summary>One shard as a member of its job's ring (key "jobId/shard"): where the other shards deliver halos, global tokens and partial states.</summary>
[Alias("distattn.IShardRing")]
public interface IShardRing : IGrainWithStringKey
{
    /// <summary>A message from another shard of the ring.</summary>
    [AlwaysInterleave, Alias("Deliver")]
    Task DeliverAsync(RingMessage message);
}
