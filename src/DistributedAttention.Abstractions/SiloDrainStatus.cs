using System.Text.Json.Serialization;

namespace DistributedAttention.Abstractions;

/// <summary>Where a silo is in its life: serving, or leaving the cluster.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DrainPhase>))]
public enum DrainPhase
{
    /// <summary>Takes new work.</summary>
    Serving = 0,

    /// <summary>Told to stop: takes no new shards or coordinators and waits for the running ones.</summary>
    Draining = 1,

    /// <summary>Its work finished; it can leave without costing any job a recomputation.</summary>
    Drained = 2,

    /// <summary>The drain timeout passed with work still running; that work is recovered elsewhere.</summary>
    TimedOut = 3,
}

/// <summary>A silo's drain, as <c>GET /admin/drain</c> and <c>distattn drain</c> report it.</summary>
/// <param name="Phase">Where the drain is.</param>
/// <param name="Silo">The silo's address.</param>
/// <param name="Shards">Shards ("jobId/shard") still running here: joined a job and not released.</param>
/// <param name="Coordinators">Jobs whose coordinator runs here and has not ended.</param>
/// <param name="Timeout">How long the drain waits for that work.</param>
/// <param name="Seconds">Seconds since the drain started; null while serving.</param>
public sealed record SiloDrainStatus(DrainPhase Phase, string Silo, IReadOnlyList<string> Shards, IReadOnlyList<string> Coordinators, TimeSpan Timeout, double? Seconds);

/// <summary>
/// A silo's graceful exit: stop taking new work, let the running work finish (bounded by a
/// timeout), then leave. Called on SIGTERM and by <c>POST /admin/drain</c> (a Kubernetes preStop hook).
/// </summary>
public interface ISiloDrain
{
    /// <summary>The drain now.</summary>
    SiloDrainStatus Status { get; }

    /// <summary>
    /// Starts the drain (once; later calls join it) and waits until it ends: drained or timed out.
    /// <paramref name="cancellationToken"/> stops only this wait, not the drain.
    /// </summary>
    Task<SiloDrainStatus> DrainAsync(CancellationToken cancellationToken);
}
