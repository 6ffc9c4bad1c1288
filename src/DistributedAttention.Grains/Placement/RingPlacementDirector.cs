using DistributedAttention.Grains.Draining;
using Orleans.Runtime.Placement;

namespace DistributedAttention.Grains.Placement;

/// <summary>
/// Places a <see cref="RingPlacement"/> grain (key "jobId/shard") on the silo of its ring slot
/// (<see cref="RingPlacementMap"/>) among the silos compatible with the grain that do not drain
/// (<see cref="DrainingSilos"/>). Stateless
/// apart from the thread-safe <see cref="SiloDeviceDirectory"/>, so concurrent calls are safe.
/// </summary>
public sealed class RingPlacementDirector : IPlacementDirector
{
    private readonly SiloDeviceDirectory directory;
    private readonly DrainingSilos draining;

    /// <summary>Creates the director.</summary>
    public RingPlacementDirector(SiloDeviceDirectory directory, DrainingSilos draining)
    {
        this.draining = draining ?? throw new ArgumentNullException(nameof(draining));
        this.directory = directory ?? throw new ArgumentNullException(nameof(directory));
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The grain key is not "jobId/shard".</exception>
    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (_, shard) = ShardKey.Parse(target.GrainIdentity.Key.ToString()!);
        var silos = draining.Eligible(context.GetCompatibleSilos(target));
        if (silos.Length == 0) throw new InvalidOperationException($"no active silo can host {target.GrainIdentity}.");
        var slots = await directory.GetSlotsAsync(silos).ConfigureAwait(false);
        return RingPlacementMap.ForShard(shard, slots).Silo;
    }
}
