using Orleans.Placement;

namespace DistributedAttention.Grains.Placement;

/// <summary>Marks a grain class for <see cref="CoordinatorPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class CoordinatorPlacementAttribute : PlacementAttribute
{
    /// <summary>Creates the attribute.</summary>
    public CoordinatorPlacementAttribute() : base(CoordinatorPlacement.Instance)
    {
    }
}
