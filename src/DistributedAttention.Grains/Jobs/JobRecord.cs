using DistributedAttention.Abstractions;
using DistributedAttention.Diagnostics;

namespace DistributedAttention.Grains.Jobs;

/// <summary>
/// Everything the coordinator knows about a job, persisted with Orleans grain persistence after
/// every step (plan, start, each completed layer, each attempt, each recovery), so that a
/// coordinator lost with its silo resumes on another silo from the last completed layer. It
/// holds no tensor data: its size grows with the shard and layer counts only.
/// </summary>
[GenerateSerializer, Alias("distattn.JobRecord")]
public sealed class JobRecord
{
    /// <summary>The plan (work, options, bounds); null until a job is submitted.</summary>
    [Id(0)] public JobPlan? Plan { get; set; }

    /// <summary>Life-cycle state.</summary>
    [Id(1)] public JobState State { get; set; } = JobState.Created;

    /// <summary>What the job is doing ("upload", "prepare", "layer 2", "done"…).</summary>
    [Id(2)] public string Phase { get; set; } = "upload";

    /// <summary>Every shard has prepared its layer-0 input (and its copies).</summary>
    [Id(3)] public bool Prepared { get; set; }

    /// <summary>Layers every shard has completed.</summary>
    [Id(4)] public int LayersCompleted { get; set; }

    /// <summary>The last attempt number used; a new attempt is always higher, also after a resume.</summary>
    [Id(5)] public int Attempt { get; set; }

    /// <summary>Where each shard ran last.</summary>
    [Id(6)] public ShardPlacement[] Placements { get; set; } = [];

    /// <summary>Layers each shard has completed.</summary>
    [Id(7)] public int[] LayersDone { get; set; } = [];

    /// <summary>Shards recomputed after a loss.</summary>
    [Id(8)] public List<RecoveryEvent> Recoveries { get; set; } = [];

    /// <summary>Coordinator losses the job survived.</summary>
    [Id(9)] public List<CoordinatorMove> CoordinatorMoves { get; set; } = [];

    /// <summary>Wall time per finished phase.</summary>
    [Id(10)] public List<PhaseTiming> Phases { get; set; } = [];

    /// <summary>Bytes exchanged by collective.</summary>
    [Id(11)] public Dictionary<string, long> BytesByCollective { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Bytes exchanged per layer (copies excluded).</summary>
    [Id(12)] public long[] BytesPerLayer { get; set; } = [];

    /// <summary>Why the job failed.</summary>
    [Id(13)] public string? Error { get; set; }

    /// <summary>When the job started running.</summary>
    [Id(14)] public DateTime? StartedUtc { get; set; }

    /// <summary>When it ended.</summary>
    [Id(15)] public DateTime? EndedUtc { get; set; }

    /// <summary>The silo of the coordinator that wrote this record last.</summary>
    [Id(16)] public string CoordinatorSilo { get; set; } = "";

    /// <summary>The shards' tensors were released.</summary>
    [Id(17)] public bool Released { get; set; }

    /// <summary>W3C traceparent of the job's trace: the client's job span when it was traced; every span of the job joins this trace.</summary>
    [Id(18)] public string TraceParent { get; set; } = "";

    /// <summary>Each shard's estimated peak memory (<see cref="JobMemory.PerShard"/>), what admission reserves for the job.</summary>
    [Id(19)] public long[] ShardBytes { get; set; } = [];

    /// <summary>While queued: jobs ahead of this one.</summary>
    [Id(20)] public int QueuePosition { get; set; }

    /// <summary>When admission let the job upload (its upload deadline counts from here).</summary>
    [Id(21)] public DateTime? AdmittedUtc { get; set; }

    /// <summary>Times the job went back to its upload because shards lost their inputs before it was prepared.</summary>
    [Id(22)] public int Uploads { get; set; }

    /// <summary>The highest peak resident memory each silo reported while running the job's shards.</summary>
    [Id(23)] public Dictionary<string, long> SiloPeakBytes { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Whether the job's memory counts against the silos' budgets: admitted, and its tensors not yet released.</summary>
    public bool HoldsMemory => !Released && State is JobState.Created or JobState.Running or JobState.Completed;

    /// <summary>Whether the job has ended (completed, failed or cancelled).</summary>
    public bool Ended => State is JobState.Completed or JobState.Failed or JobState.Cancelled;

    /// <summary>The job's status as clients see it.</summary>
    public JobStatus Status(string jobId, DateTime now)
    {
        var plan = Plan;
        var shards = Placements.Select((p, s) => new ShardProgress(s, p.Silo, p.Device, LayersDone.Length > s ? LayersDone[s] : 0)).ToArray();
        var elapsed = StartedUtc is { } started ? ((EndedUtc ?? now) - started).TotalSeconds : 0;
        return new JobStatus(jobId, plan?.Kind ?? JobKind.Model, State, Phase, plan?.Layers ?? 0, LayersCompleted, shards, [.. Recoveries], [.. CoordinatorMoves],
            [.. Phases], new Dictionary<string, long>(BytesByCollective, StringComparer.Ordinal), [.. BytesPerLayer], Error, Math.Max(0, elapsed), CoordinatorSilo, Released,
            JobTrace.TraceIdOf(TraceParent), State == JobState.Queued ? QueuePosition : 0, ShardBytes.Aggregate(0L, (sum, b) => sum > long.MaxValue - b ? long.MaxValue : sum + b),
            new Dictionary<string, long>(SiloPeakBytes, StringComparer.Ordinal));
    }

    /// <summary>Adds one shard's report of a layer (layer −1: preparing) to the byte counts.</summary>
    public void Account(int layer, LayerReport report)
    {
        if (report.PeakMemoryBytes > SiloPeakBytes.GetValueOrDefault(report.Silo)) SiloPeakBytes[report.Silo] = report.PeakMemoryBytes;
        foreach (var (collective, bytes) in report.BytesSent)
        {
            BytesByCollective[collective] = BytesByCollective.GetValueOrDefault(collective) + bytes;
            if (collective != "backup" && layer >= 0 && layer < BytesPerLayer.Length) BytesPerLayer[layer] += bytes;
        }
    }
}
