using DistributedAttention.Grains.Draining;
using DistributedAttention.Grains.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace DistributedAttention.Grains.Placement;

/// <summary>
/// A silo's view of every silo's device slots: its own from <see cref="DeviceSlots"/>, the
/// others' from Orleans' silo metadata (key <see cref="SiloDevices.MetadataKey"/>). Used by
/// <see cref="RingPlacementDirector"/> to place shards and by shard grains to find their slot.
/// </summary>
/// <remarks>
/// Orleans fetches a new silo's metadata in the background after the silo joins, so a lookup
/// can briefly find nothing; <see cref="WaitForDevicesAsync"/> waits for it (bounded by
/// <see cref="MetadataWaitTimeout"/>, after which the silo counts as one "cpu" slot).
/// Thread-safe.
/// </remarks>
public sealed class SiloDeviceDirectory
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);
    private readonly ILocalSiloDetails local;
    private readonly DeviceSlots slots;
    private readonly ISiloMetadataCache? metadata;
    private readonly DrainingSilos draining;

    /// <summary>Creates the directory (a silo singleton; see <see cref="GrainsSiloBuilderExtensions.AddDistributedAttentionGrains"/>).</summary>
    public SiloDeviceDirectory(ILocalSiloDetails local, DeviceSlots slots, DrainingSilos draining, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        this.local = local ?? throw new ArgumentNullException(nameof(local));
        this.slots = slots ?? throw new ArgumentNullException(nameof(slots));
        this.draining = draining ?? throw new ArgumentNullException(nameof(draining));
        metadata = services.GetService<ISiloMetadataCache>();
    }

    /// <summary>How long to wait for a silo's published devices before assuming one "cpu" slot.</summary>
    public TimeSpan MetadataWaitTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>This silo's address.</summary>
    public SiloAddress LocalSilo => local.SiloAddress;

    /// <summary>The device slots of <paramref name="silo"/>, or null while they are not known yet.</summary>
    public IReadOnlyList<string>? TryGetDevices(SiloAddress silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        if (silo.Equals(local.SiloAddress)) return slots.Devices;
        if (metadata is null) return [SiloDevices.DefaultDevice];
        return metadata.GetSiloMetadata(silo).Metadata.TryGetValue(SiloDevices.MetadataKey, out var value) ? SiloDevices.Parse(value) : null;
    }

    /// <summary>The device slots of every silo in <paramref name="silos"/>, waiting briefly for ones not yet known.</summary>
    public async Task<IReadOnlyDictionary<SiloAddress, IReadOnlyList<string>>> WaitForDevicesAsync(IReadOnlyCollection<SiloAddress> silos, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(silos);
        var deadline = DateTime.UtcNow + MetadataWaitTimeout;
        while (true)
        {
            var known = new Dictionary<SiloAddress, IReadOnlyList<string>>();
            foreach (var silo in silos)
            {
                if (TryGetDevices(silo) is { } devices) known[silo] = devices;
            }
            if (known.Count == silos.Count) return known;
            if (DateTime.UtcNow >= deadline)
            {
                // A silo without our metadata (another build, or metadata disabled) still gets a slot.
                foreach (var silo in silos) known.TryAdd(silo, [SiloDevices.DefaultDevice]);
                return known;
            }
            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The ring slots over <paramref name="silos"/> (see <see cref="RingPlacementMap.Slots"/>).</summary>
    public async Task<IReadOnlyList<RingSlot>> GetSlotsAsync(IReadOnlyCollection<SiloAddress> silos, CancellationToken cancellationToken = default)
    {
        var devices = await WaitForDevicesAsync(silos, cancellationToken).ConfigureAwait(false);
        return RingPlacementMap.Slots(silos, s => devices[s]);
    }

    /// <summary>The silos that take new shards as this silo sees them now: the active ones that do not drain.</summary>
    public IReadOnlyCollection<SiloAddress> ActiveSilos() => draining.EligibleActive();

    /// <summary>
    /// The slot a shard activated on this silo runs on: the ring slot of <paramref name="shard"/>
    /// when that slot is on this silo (the normal case), otherwise (the cluster changed between
    /// placement and activation) this silo's slot shard mod (its slot count).
    /// </summary>
    public async Task<RingSlot> LocateAsync(int shard, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        var silos = ActiveSilos();
        if (silos.Count > 0 && silos.Contains(local.SiloAddress))
        {
            var slot = RingPlacementMap.ForShard(shard, await GetSlotsAsync(silos, cancellationToken).ConfigureAwait(false));
            if (slot.Silo.Equals(local.SiloAddress)) return slot;
        }
        var index = shard % slots.Devices.Count;
        return new RingSlot(local.SiloAddress, index, slots.Devices[index]);
    }
}
