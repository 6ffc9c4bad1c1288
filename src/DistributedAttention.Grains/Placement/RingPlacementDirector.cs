using Orleans.Runtime.Placement;

namespace DistributedAttention.Grains.Placement;

/// <summary>
/// Places a <see cref="RingPlacement"/> grain (key "jobId/shard") on the silo of its ring slot
/// (<see cref="RingPlacementMap"/>) among the silos compatible with the grain. Stateless
/// apart from the thread-safe <see cref="SiloDeviceDirectory"/>, so concurrent calls are safe.
/// </summary>
public sealed class RingPlacementDirector : IPlacementDirector
{
    private readonly SiloDeviceDirectory directory;

    /// <summary>Creates the director.</summary>
    public RingPlacementDirector(SiloDeviceDirectory directory)
    {
        this.directory = directory ?? throw new ArgumentNullException(nameof(directory));
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The grain key is not "jobId/shard".</exception>
    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (_, shard) = ShardKey.Parse(target.GrainIdentity.Key.ToString()!);
        var silos = context.GetCompatibleSilos(target);
        if (silos.Length == 0) throw new InvalidOperationException($"no active silo can host {target.GrainIdentity}.");
        var slots = await directory.GetSlotsAsync(silos).ConfigureAwait(false);
        return RingPlacementMap.ForShard(shard, slots).Silo;
    }
}
