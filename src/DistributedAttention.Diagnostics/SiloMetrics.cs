using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DistributedAttention.Diagnostics;

/// <summary>
/// Silos joining, draining and leaving. Each silo reports the cluster as its membership sees it
/// (<see cref="TrackCluster"/>), tagged with the reporting silo, so a dashboard shows the count
/// change as silos come and go; drains are counted by outcome.
/// </summary>
public static class SiloMetrics
{
    private static readonly ConcurrentDictionary<string, Func<(int Active, int Draining)>> Views = new(StringComparer.Ordinal);

    /// <summary>Drains that ended, tagged with the outcome (drained or timed_out).</summary>
    public static Counter<long> Drains { get; } = Telemetry.Meter.CreateCounter<long>("distattn.silo.drains", "{drain}", "Silo drains that ended, by outcome.");

    /// <summary>Seconds from a drain's start to its end.</summary>
    public static Histogram<double> DrainDuration { get; } = Telemetry.Meter.CreateHistogram<double>("distattn.silo.drain.duration", "s", "Seconds a silo took to drain.");

    private static readonly UpDownCounter<long> Draining = Telemetry.Meter.CreateUpDownCounter<long>("distattn.silo.draining", "{silo}", "Silos of this process that are draining now.");

    /// <summary>Creates the instruments (they are made with the class, on first use): call where metrics are exported, so the gauges report before any job.</summary>
    public static void EnsureCreated()
    {
        // Touching the class runs its static constructor; nothing else to do.
    }

    static SiloMetrics()
    {
        Telemetry.Meter.CreateObservableGauge("distattn.cluster.silos", ReadViews, "{silo}", "Silos of the cluster as each silo sees them, by state (active: takes work; draining: leaving).");
    }

    /// <summary>Reports <paramref name="view"/> (active and draining silos) as <paramref name="silo"/> sees them, until <see cref="ForgetCluster"/>.</summary>
    public static void TrackCluster(string silo, Func<(int Active, int Draining)> view)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(view);
        Views[silo] = view;
    }

    /// <summary>Stops reporting <paramref name="silo"/>'s view (it left).</summary>
    public static void ForgetCluster(string silo) => Views.TryRemove(silo, out _);

    /// <summary>A drain started in this process.</summary>
    public static void DrainStarted() => Draining.Add(1);

    /// <summary>A drain ended: <paramref name="drained"/> when its work finished in time.</summary>
    public static void DrainEnded(bool drained, TimeSpan took)
    {
        Draining.Add(-1);
        var outcome = new KeyValuePair<string, object?>("outcome", drained ? "drained" : "timed_out");
        Drains.Add(1, outcome);
        DrainDuration.Record(took.TotalSeconds, outcome);
    }

    private static IEnumerable<Measurement<int>> ReadViews()
    {
        foreach (var (silo, view) in Views.ToArray())
        {
            var (active, draining) = view();
            yield return new Measurement<int>(active - draining, new TagList { { AttributeNames.Silo, silo }, { "state", "active" } });
            yield return new Measurement<int>(draining, new TagList { { AttributeNames.Silo, silo }, { "state", "draining" } });
        }
    }
}
