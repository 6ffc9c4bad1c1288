using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DistributedAttention.Diagnostics;

/// <summary>
/// The project's metric instruments, all on <see cref="Telemetry.Meter"/>. Job counts and
/// pending tokens are gauges read from the coordinators active in this process
/// (<see cref="TrackJob"/>), so a coordinator that moves to another silo moves its numbers too.
/// </summary>
public static class JobMetrics
{
    private static readonly ConcurrentDictionary<string, (string State, long Tokens)> Jobs = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, long> TensorBytes = new(StringComparer.Ordinal);

    /// <summary>Seconds from a job's start to its end, tagged with kind and outcome.</summary>
    public static Histogram<double> JobDuration { get; } = Telemetry.Meter.CreateHistogram<double>("distattn.job.duration", "s", "Seconds from a job's start to its end.");

    /// <summary>Seconds of one layer over all shards.</summary>
    public static Histogram<double> LayerDuration { get; } = Telemetry.Meter.CreateHistogram<double>("distattn.layer.duration", "s", "Seconds of one layer over all shards.");

    /// <summary>The longest any shard of a layer waited for its peers: how far the slowest shard held the others back.</summary>
    public static Histogram<double> StragglerWait { get; } = Telemetry.Meter.CreateHistogram<double>("distattn.layer.straggler_wait", "s", "Longest wait of a shard for its peers in one layer.");

    /// <summary>Tokens of completed jobs.</summary>
    public static Counter<long> TokensProcessed { get; } = Telemetry.Meter.CreateCounter<long>("distattn.tokens.processed", "{token}", "Tokens of completed jobs.");

    /// <summary>Bytes shards put on the wire, tagged with the collective.</summary>
    public static Counter<long> BytesExchanged { get; } = Telemetry.Meter.CreateCounter<long>("distattn.bytes.exchanged", "By", "Bytes shards sent to each other, by collective.");

    /// <summary>Shards restored after their silo was lost.</summary>
    public static Counter<long> Recoveries { get; } = Telemetry.Meter.CreateCounter<long>("distattn.recoveries", "{shard}", "Shards restored from a neighbour's copy after their silo was lost.");

    /// <summary>Creates the instruments (they are made with the class, on first use): call where metrics are exported, so the gauges report before any job.</summary>
    public static void EnsureCreated()
    {
        // Touching the class runs its static constructor; nothing else to do.
    }

    static JobMetrics()
    {
        Telemetry.Meter.CreateObservableGauge("distattn.jobs", CountJobs, "{job}", "Jobs coordinated here, by state (queued: waiting for memory; created: waiting for inputs or start; running).");
        Telemetry.Meter.CreateObservableGauge("distattn.tokens.pending", () => Jobs.Values.Sum(j => j.Tokens), "{token}", "Tokens of jobs submitted here and not yet ended: the signal to scale on.");
        Telemetry.Meter.CreateObservableGauge("distattn.device.tensor_memory", ReadTensorBytes, "By", "Bytes of tensors the shards hold, by device.");
    }

    /// <summary>Records that the coordinator of <paramref name="jobId"/> runs here with <paramref name="state"/>; ended jobs are dropped.</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="state">queued, created, running, or an end state (completed, failed, cancelled).</param>
    /// <param name="tokens">The job's tokens.</param>
    public static void TrackJob(string jobId, string state, long tokens)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        ArgumentNullException.ThrowIfNull(state);
        if (state is "queued" or "created" or "running") Jobs[jobId] = (state, tokens);
        else Jobs.TryRemove(jobId, out _);
    }

    /// <summary>Forgets <paramref name="jobId"/> (its coordinator left this silo).</summary>
    public static void ForgetJob(string jobId) => Jobs.TryRemove(jobId, out _);

    /// <summary>Adds <paramref name="bytes"/> (negative: frees) to the tensor memory held on <paramref name="device"/>.</summary>
    public static void AddTensorMemory(string device, long bytes)
    {
        ArgumentNullException.ThrowIfNull(device);
        TensorBytes.AddOrUpdate(device, bytes, (_, b) => b + bytes);
    }

    private static IEnumerable<Measurement<long>> CountJobs()
    {
        var snapshot = Jobs.Values.ToArray();
        yield return new Measurement<long>(snapshot.Count(j => j.State == "queued"), new KeyValuePair<string, object?>("state", "queued"));
        yield return new Measurement<long>(snapshot.Count(j => j.State == "created"), new KeyValuePair<string, object?>("state", "created"));
        yield return new Measurement<long>(snapshot.Count(j => j.State == "running"), new KeyValuePair<string, object?>("state", "running"));
    }

    private static IEnumerable<Measurement<long>> ReadTensorBytes() =>
        TensorBytes.Select(d => new Measurement<long>(d.Value, new TagList { { AttributeNames.Device, d.Key } }));
}
