using DistributedAttention.Abstractions;
using DistributedAttention.Diagnostics;
using DistributedAttention.Grains.Placement;
using Microsoft.Extensions.Options;

namespace DistributedAttention.Grains.Admission;

/// <summary>
/// The in-memory <see cref="IAdmissionGrain"/>: the <see cref="AdmissionLedger"/> over the
/// cluster as this silo sees it (the silos that take shards, their ring slots and budgets).
/// </summary>
public sealed class AdmissionGrain(SiloDeviceDirectory directory, SiloMemoryBudgets budgets, IOptions<AdmissionOptions> options) : Grain, IAdmissionGrain
{
    private readonly AdmissionLedger ledger = new(options.Value.MaxQueuedJobs, options.Value.EntryLifetime);

    /// <inheritdoc />
    public async Task<AdmissionTicket> RequestAsync(AdmissionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var view = await ViewAsync();
        var ticket = ledger.Request(request, view, DateTime.UtcNow);
        if (ticket.Outcome == AdmissionOutcome.Refused) AdmissionMetrics.Refused(ticket.Refusal.ToString());
        Publish(view);
        return ticket;
    }

    /// <inheritdoc />
    public async Task RenewAsync(AdmissionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var view = await ViewAsync();
        ledger.Renew(request, view, DateTime.UtcNow);
        Publish(view);
    }

    /// <inheritdoc />
    public Task ReleaseAsync(string jobId)
    {
        ledger.Release(jobId);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<AdmissionSnapshot> GetSnapshotAsync() => ledger.Snapshot(await ViewAsync(), DateTime.UtcNow);

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        AdmissionMetrics.Forget();
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    private async Task<ClusterMemoryView> ViewAsync()
    {
        var silos = directory.ActiveSilos();
        if (silos.Count == 0) return new ClusterMemoryView([], new Dictionary<string, long>());
        var slots = await directory.GetSlotsAsync(silos);
        return new ClusterMemoryView(
            [.. slots.Select(s => s.Silo.ToString())],
            silos.ToDictionary(s => s.ToString(), budgets.Of, StringComparer.Ordinal));
    }

    private void Publish(ClusterMemoryView view) =>
        AdmissionMetrics.Track(ledger.QueueLength, view.Budgets.Keys.ToDictionary(s => s, s => (view.Budget(s), ledger.Reserved(s)), StringComparer.Ordinal));
}
