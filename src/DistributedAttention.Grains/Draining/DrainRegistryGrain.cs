using DistributedAttention.Abstractions;

namespace DistributedAttention.Grains.Draining;

/// <summary>The in-memory <see cref="IDrainRegistryGrain"/>: announcements with the time they were last renewed.</summary>
public sealed class DrainRegistryGrain : Grain, IDrainRegistryGrain
{
    /// <summary>How long an announcement counts (draining silos renew theirs every <see cref="DrainingSilos.RefreshInterval"/>).</summary>
    public static readonly TimeSpan AnnouncementLifetime = TimeSpan.FromSeconds(10);

    private readonly Dictionary<SiloAddress, DateTime> announced = [];

    /// <inheritdoc />
    public Task AnnounceAsync(SiloAddress silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        announced[silo] = DateTime.UtcNow;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<SiloAddress[]> GetDrainingAsync()
    {
        var cutoff = DateTime.UtcNow - AnnouncementLifetime;
        foreach (var stale in announced.Where(a => a.Value < cutoff).Select(a => a.Key).ToArray()) announced.Remove(stale);
        return Task.FromResult(announced.Keys.ToArray());
    }
}
