namespace DistributedAttention.Grains.Placement;

/// <summary>
/// The pure mapping from shards to device slots that <see cref="RingPlacementDirector"/>
/// applies: silos sorted by address string, each expanded into its slots, slots ordered
/// slot-major (slot 0 of every silo, then slot 1 of every silo that has one…), and shard s on
/// ring slot s mod (number of slots). Slot-major order puts consecutive shards, which talk the
/// most, on different silos, and spreads shards evenly while shards ≤ silos.
/// </summary>
public static class RingPlacementMap
{
    /// <summary>All device slots in ring order.</summary>
    /// <param name="silos">The candidate silos (any order; duplicates are ignored).</param>
    /// <param name="devicesOf">The device slots of a silo; an empty list counts as one "cpu" slot.</param>
    /// <exception cref="ArgumentException">There are no silos.</exception>
    public static IReadOnlyList<RingSlot> Slots(IEnumerable<SiloAddress> silos, Func<SiloAddress, IReadOnlyList<string>> devicesOf)
    {
        ArgumentNullException.ThrowIfNull(silos);
        ArgumentNullException.ThrowIfNull(devicesOf);
        var sorted = silos.Distinct().Select(s => (Silo: s, Key: s.ToString())).OrderBy(s => s.Key, StringComparer.Ordinal).ToArray();
        if (sorted.Length == 0) throw new ArgumentException("there are no silos to place shards on.", nameof(silos));
        var devices = sorted.Select(s => devicesOf(s.Silo) is { Count: > 0 } d ? d : (IReadOnlyList<string>)[SiloDevices.DefaultDevice]).ToArray();
        var slots = new List<RingSlot>();
        var depth = devices.Max(d => d.Count);
        for (var slot = 0; slot < depth; slot++)
        {
            for (var i = 0; i < sorted.Length; i++)
            {
                if (slot < devices[i].Count) slots.Add(new RingSlot(sorted[i].Silo, slot, devices[i][slot]));
            }
        }
        return slots;
    }

    /// <summary>The slot of shard <paramref name="shard"/>: ring slot shard mod (number of slots).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The shard is negative.</exception>
    public static RingSlot ForShard(int shard, IReadOnlyList<RingSlot> slots)
    {
        ArgumentNullException.ThrowIfNull(slots);
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        if (slots.Count == 0) throw new ArgumentException("there are no device slots.", nameof(slots));
        return slots[shard % slots.Count];
    }

    /// <summary>The slot of shard <paramref name="shard"/> among <paramref name="silos"/>.</summary>
    public static RingSlot ForShard(int shard, IEnumerable<SiloAddress> silos, Func<SiloAddress, IReadOnlyList<string>> devicesOf) =>
        ForShard(shard, Slots(silos, devicesOf));
}
