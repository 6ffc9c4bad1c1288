namespace DistributedAttention.Grains.Admission;

/// <summary>
/// The cluster as admission sees it: the ring's device slots in placement order (a silo
/// appears once per slot; shard s lands on slot s mod count, as <see cref="Placement.RingPlacementMap"/>
/// places it) and every silo's memory budget.
/// </summary>
/// <param name="Slots">The silo of each ring slot, in ring order.</param>
/// <param name="Budgets">Each silo's budget in bytes (<see cref="SiloMemoryBudget.Unlimited"/>: none).</param>
public sealed record ClusterMemoryView(IReadOnlyList<string> Slots, IReadOnlyDictionary<string, long> Budgets)
{
    /// <summary>Where a job's shards land, and the bytes each silo gets.</summary>
    public Dictionary<string, long> Place(IReadOnlyList<long> shardBytes)
    {
        ArgumentNullException.ThrowIfNull(shardBytes);
        var perSilo = new Dictionary<string, long>(StringComparer.Ordinal);
        if (Slots.Count == 0) return perSilo;
        for (var s = 0; s < shardBytes.Count; s++)
        {
            var silo = Slots[s % Slots.Count];
            perSilo[silo] = SaturatingAdd(perSilo.GetValueOrDefault(silo), shardBytes[s]);
        }
        return perSilo;
    }

    /// <summary>The budget of <paramref name="silo"/>.</summary>
    public long Budget(string silo) => Budgets.TryGetValue(silo, out var budget) ? budget : SiloMemoryBudget.Unlimited;

    /// <summary>a + b, capped at <see cref="long.MaxValue"/>.</summary>
    public static long SaturatingAdd(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;
}
