using DistributedAttention.Abstractions;

namespace DistributedAttention.Http;

/// <summary>A job as <c>GET /v1/jobs/{id}</c> shows it.</summary>
/// <param name="Id">The job id.</param>
/// <param name="Kind">book or attention (model or attention for jobs this process did not submit).</param>
/// <param name="State">queued, running, completed, failed or cancelled.</param>
/// <param name="Phase">What the cluster is doing now (upload, prepare, layer N, done).</param>
/// <param name="TraceId">The job's trace id: open it in the tracing dashboard.</param>
/// <param name="Error">Why it failed.</param>
/// <param name="Layers">Layers the job runs.</param>
/// <param name="LayersCompleted">Layers every shard has finished.</param>
/// <param name="ElapsedSeconds">Seconds since the cluster started it.</param>
/// <param name="Shards">Where each shard runs and how far it is.</param>
/// <param name="Phases">Seconds per finished phase.</param>
/// <param name="BytesByCollective">Bytes the shards exchanged, by collective.</param>
/// <param name="Recoveries">Shards restored after their silo was lost.</param>
/// <param name="CoordinatorMoves">Times the coordinator was lost and resumed elsewhere.</param>
/// <param name="Outputs">Download links, once completed.</param>
/// <param name="Links">Where to watch and cancel it.</param>
/// <param name="QueuePosition">While the cluster queues it for memory: jobs ahead of it.</param>
/// <param name="MemoryBytes">Its memory as admission estimated it, over all shards.</param>
public sealed record JobView(
    string Id,
    string Kind,
    string State,
    string Phase,
    string TraceId,
    string? Error,
    int Layers,
    int LayersCompleted,
    double ElapsedSeconds,
    IReadOnlyList<ShardProgress> Shards,
    IReadOnlyList<PhaseTiming> Phases,
    IReadOnlyDictionary<string, long> BytesByCollective,
    IReadOnlyList<RecoveryEvent> Recoveries,
    IReadOnlyList<CoordinatorMove> CoordinatorMoves,
    IReadOnlyList<OutputLink> Outputs,
    IReadOnlyDictionary<string, string> Links,
    int QueuePosition = 0,
    long MemoryBytes = 0)
{
    /// <summary>The view of a job this process submitted.</summary>
    public static JobView Of(ApiJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var status = job.Status;
        var outputs = job.State == ApiJobState.Completed ? job.Outputs.Select(o => new OutputLink(o, $"/v1/jobs/{job.Id}/outputs/{o}")).ToArray() : [];
        return new JobView(
            job.Id, job.Kind, job.State.ToString().ToLowerInvariant(), status?.Phase ?? "upload", job.TraceId, job.Error ?? status?.Error,
            status?.Layers ?? 0, status?.LayersCompleted ?? 0, status?.ElapsedSeconds ?? 0,
            status?.Shards ?? [], status?.Phases ?? [], status?.BytesByCollective ?? [], status?.Recoveries ?? [], status?.CoordinatorMoves ?? [],
            outputs, LinksOf(job.Id), status?.QueuePosition ?? 0, status?.MemoryBytes ?? 0);
    }

    /// <summary>The view of a job known only to the cluster (submitted elsewhere).</summary>
    public static JobView Of(JobStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return new JobView(
            status.JobId, status.Kind.ToString().ToLowerInvariant(), status.State.ToString().ToLowerInvariant(), status.Phase, status.TraceId, status.Error,
            status.Layers, status.LayersCompleted, status.ElapsedSeconds, status.Shards, status.Phases, status.BytesByCollective, status.Recoveries, status.CoordinatorMoves,
            [], LinksOf(status.JobId), status.QueuePosition, status.MemoryBytes);
    }

    private static Dictionary<string, string> LinksOf(string id) => new()
    {
        ["self"] = $"/v1/jobs/{id}",
        ["events"] = $"/v1/jobs/{id}/events",
        ["cancel"] = $"/v1/jobs/{id}",
    };
}

/// <summary>One downloadable output.</summary>
/// <param name="Name">Its file name.</param>
/// <param name="Url">Where to download it.</param>
public sealed record OutputLink(string Name, string Url);
