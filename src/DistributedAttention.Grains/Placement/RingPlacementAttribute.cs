using Orleans.Placement;

namespace DistributedAttention.Grains.Placement;

/// <summary>Marks a grain class (string key "jobId/shard") for <see cref="RingPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class RingPlacementAttribute : PlacementAttribute
{
    /// <summary>Creates the attribute.</summary>
    public RingPlacementAttribute() : base(RingPlacement.Instance)
    {
    }
}
