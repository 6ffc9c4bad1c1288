namespace DistributedAttention.Grains.Placement;

/// <summary>
/// Places shard grains (string key "jobId/shard") on the device slots of the cluster in ring
/// order, so consecutive shards land on different silos. See <see cref="RingPlacementMap"/>.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("distattn.RingPlacement")]
public sealed class RingPlacement : PlacementStrategy
{
    /// <summary>The shared instance.</summary>
    public static RingPlacement Instance { get; } = new();
}
