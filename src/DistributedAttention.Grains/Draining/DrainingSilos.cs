using DistributedAttention.Abstractions;
using DistributedAttention.Diagnostics;
using Microsoft.Extensions.Logging;

namespace DistributedAttention.Grains.Draining;

/// <summary>
/// This silo's view of which silos drain, so placement leaves them out. A background loop reads
/// <see cref="IDrainRegistryGrain"/> every <see cref="RefreshInterval"/> (and, while this silo
/// drains, renews its own announcement), so placement itself never calls a grain and never waits.
/// The view can lag by one interval: a shard placed on a silo that just began to drain makes that
/// silo wait for its job, which is still correct. Thread-safe; a silo singleton.
/// </summary>
public sealed class DrainingSilos : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    /// <summary>How often the view is refreshed and a draining silo's announcement renewed.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);

    private readonly IGrainFactory grains;
    private readonly ILocalSiloDetails local;
    private readonly ILogger<DrainingSilos> logger;
    private readonly IClusterMembershipService membership;
    private readonly CancellationTokenSource stopping = new();
    private volatile HashSet<SiloAddress> others = [];
    private volatile bool localDraining;
    private Task? loop;

    /// <summary>Creates the view (see <see cref="GrainsSiloBuilderExtensions.AddDistributedAttentionGrains"/>).</summary>
    public DrainingSilos(IGrainFactory grains, ILocalSiloDetails local, IClusterMembershipService membership, ILogger<DrainingSilos> logger)
    {
        this.membership = membership ?? throw new ArgumentNullException(nameof(membership));
        this.grains = grains ?? throw new ArgumentNullException(nameof(grains));
        this.local = local ?? throw new ArgumentNullException(nameof(local));
        this.logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>Whether this silo drains.</summary>
    public bool LocalDraining => localDraining;

    /// <summary>Whether <paramref name="silo"/> drains, as far as this silo knows.</summary>
    public bool IsDraining(SiloAddress silo) => silo.Equals(local.SiloAddress) ? localDraining : others.Contains(silo);

    /// <summary>The silos that take new work: the active ones that do not drain (all active ones when every one drains).</summary>
    public SiloAddress[] EligibleActive() => Eligible(ActiveSilos());

    /// <summary>
    /// The silos of <paramref name="candidates"/> that take new work: those not draining, or all of
    /// them when every one drains (a job must still run somewhere).
    /// </summary>
    public SiloAddress[] Eligible(IReadOnlyCollection<SiloAddress> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var serving = candidates.Where(s => !IsDraining(s)).ToArray();
        return serving.Length > 0 ? serving : [.. candidates];
    }

    /// <summary>Marks this silo draining here at once and tells the cluster (best effort; the loop keeps renewing it).</summary>
    public async Task AnnounceLocalAsync()
    {
        localDraining = true;
        await RefreshAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(nameof(DrainingSilos), ServiceLifecycleStage.Active,
            _ =>
            {
                SiloMetrics.TrackCluster(local.SiloAddress.ToString(), () =>
                {
                    var active = ActiveSilos();
                    return (active.Length, active.Count(IsDraining));
                });
                loop = Task.Run(() => RefreshLoopAsync(stopping.Token));
                return Task.CompletedTask;
            },
            async _ =>
            {
                SiloMetrics.ForgetCluster(local.SiloAddress.ToString());
                await stopping.CancelAsync().ConfigureAwait(false);
                if (loop is not null) await loop.ConfigureAwait(false);
            });
    }

    /// <inheritdoc />
    public void Dispose() => stopping.Dispose();

    private SiloAddress[] ActiveSilos() =>
        [.. membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress)];

    private async Task RefreshLoopAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            await RefreshAsync().ConfigureAwait(false);
            try
            {
                await Task.Delay(RefreshInterval, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RefreshAsync()
    {
        var registry = grains.GetGrain<IDrainRegistryGrain>(0);
        try
        {
            if (localDraining) await registry.AnnounceAsync(local.SiloAddress).WaitAsync(RefreshInterval * 5).ConfigureAwait(false);
            var draining = await registry.GetDrainingAsync().WaitAsync(RefreshInterval * 5).ConfigureAwait(false);
            others = [.. draining.Where(s => !s.Equals(local.SiloAddress))];
        }
        catch (Exception e) when (e is TimeoutException or OrleansException or InvalidOperationException or ObjectDisposedException)
        {
            // The registry's silo may be leaving; keep the last view and try again next time.
            logger.LogDebug(e, "Could not read the draining silos; keeping the last view");
        }
    }
}
