namespace DistributedAttention.Grains.Placement;

/// <summary>
/// Places job coordinators at random on the silos that do not drain, so a silo told to stop
/// gets no new job to coordinate. See <see cref="CoordinatorPlacementDirector"/>.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("distattn.CoordinatorPlacement")]
public sealed class CoordinatorPlacement : PlacementStrategy
{
    /// <summary>The shared instance.</summary>
    public static CoordinatorPlacement Instance { get; } = new();
}
