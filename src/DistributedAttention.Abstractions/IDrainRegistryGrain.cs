namespace DistributedAttention.Abstractions;

/// <summary>
/// The cluster's list of draining silos (key 0): silos told to stop, which finish the work they
/// run and take no new shards or coordinators. A draining silo announces itself every second
/// until it leaves; an entry not renewed for 10 s expires, so a
/// registry lost with its silo is rebuilt by the next announcements. Kept in memory only.
/// </summary>
[Alias("distattn.IDrainRegistryGrain")]
public interface IDrainRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>Records (or renews) <paramref name="silo"/> as draining.</summary>
    [Alias("Announce")]
    Task AnnounceAsync(SiloAddress silo);

    /// <summary>The silos whose announcement is current.</summary>
    [Alias("GetDraining")]
    Task<SiloAddress[]> GetDrainingAsync();
}
