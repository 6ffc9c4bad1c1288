using DistributedAttention.Grains.Draining;
using Orleans.Runtime.Placement;

namespace DistributedAttention.Grains.Placement;

/// <summary>Places a <see cref="CoordinatorPlacement"/> grain on a random compatible silo that does not drain.</summary>
public sealed class CoordinatorPlacementDirector(DrainingSilos draining) : IPlacementDirector
{
    /// <inheritdoc />
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var silos = draining.Eligible(context.GetCompatibleSilos(target));
        if (silos.Length == 0) throw new InvalidOperationException($"no active silo can host {target.GrainIdentity}.");
        return Task.FromResult(silos[Random.Shared.Next(silos.Length)]);
    }
}
