using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DistributedAttention.Diagnostics;

/// <summary>
/// Admission control, as the cluster's memory ledger sees it (it lives on one silo at a time, so
/// only that silo reports): jobs waiting for memory, each silo's budget and the bytes admitted
/// jobs hold on it, and refusals by reason.
/// </summary>
public static class AdmissionMetrics
{
    private static readonly Lock Gate = new();
    private static int queued;
    private static IReadOnlyDictionary<string, (long Budget, long Reserved)> silos = new Dictionary<string, (long, long)>();

    /// <summary>Jobs refused, tagged with the reason (QueueFull or TooLarge).</summary>
    public static Counter<long> Refusals { get; } = Telemetry.Meter.CreateCounter<long>("distattn.admission.refused", "{job}", "Jobs the cluster refused: queue full, or too large for the silos' memory budgets.");

    static AdmissionMetrics()
    {
        Telemetry.Meter.CreateObservableGauge("distattn.jobs.queued", () => Read(() => queued), "{job}", "Jobs waiting for memory (admission control).");
        Telemetry.Meter.CreateObservableGauge("distattn.silo.memory.budget", () => ReadSilos(s => s.Budget), "By", "Each silo's memory budget for job tensors (unlimited silos are not reported).");
        Telemetry.Meter.CreateObservableGauge("distattn.silo.memory.reserved", () => ReadSilos(s => s.Reserved), "By", "Estimated bytes the admitted jobs hold on each silo.");
    }

    /// <summary>Creates the instruments (they are made with the class, on first use): call where metrics are exported.</summary>
    public static void EnsureCreated()
    {
        // Touching the class runs its static constructor; nothing else to do.
    }

    /// <summary>The ledger's state now.</summary>
    public static void Track(int queueLength, IReadOnlyDictionary<string, (long Budget, long Reserved)> perSilo)
    {
        lock (Gate) (queued, silos) = (queueLength, perSilo);
    }

    /// <summary>The ledger left this silo: stop reporting it here.</summary>
    public static void Forget() => Track(0, new Dictionary<string, (long, long)>());

    /// <summary>Counts a refusal.</summary>
    public static void Refused(string reason) => Refusals.Add(1, new KeyValuePair<string, object?>("reason", reason));

    private static int Read(Func<int> value)
    {
        lock (Gate) return value();
    }

    private static IEnumerable<Measurement<long>> ReadSilos(Func<(long Budget, long Reserved), long> value)
    {
        KeyValuePair<string, (long Budget, long Reserved)>[] current;
        lock (Gate) current = [.. silos];
        foreach (var (silo, memory) in current)
        {
            if (memory.Budget == long.MaxValue && value(memory) == long.MaxValue) continue;
            yield return new Measurement<long>(value(memory), new TagList { { AttributeNames.Silo, silo } });
        }
    }
}
