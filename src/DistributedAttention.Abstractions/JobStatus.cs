namespace DistributedAttention.Abstractions;

/// <summary>A job's status.</summary>
/// <param name="JobId">The job id.</param>
/// <param name="Kind">Model or attention.</param>
/// <param name="State">Life-cycle state.</param>
/// <param name="Phase">What it is doing now ("upload", "prepare", "layer 3", "done"…).</param>
/// <param name="Layers">Number of layers.</param>
/// <param name="LayersCompleted">Layers every shard has completed (the job resumes after these if its coordinator is lost).</param>
/// <param name="Shards">Per-shard progress.</param>
/// <param name="Recoveries">Shards recomputed after a silo was lost.</param>
/// <param name="CoordinatorMoves">Times the coordinator was lost with its silo and the job resumed on another.</param>
/// <param name="Phases">Wall time per phase so far.</param>
/// <param name="BytesByCollective">Bytes exchanged between shards, by collective, over all layers.</param>
/// <param name="BytesPerLayer">Bytes exchanged per layer (recovery copies excluded).</param>
/// <param name="Error">Why the job failed, when it did.</param>
/// <param name="ElapsedSeconds">Seconds since the job started.</param>
/// <param name="CoordinatorSilo">The silo hosting the job's coordinator.</param>
/// <param name="Released">The shards dropped the job's tensors (its output was read, or it ended without one).</param>
/// <param name="TraceId">The W3C trace id every span of the job belongs to (32 hex digits).</param>
/// <param name="QueuePosition">While <see cref="JobState.Queued"/>: jobs ahead of it in the queue (0: next).</param>
/// <param name="MemoryBytes">The job's memory as admission estimated it from its plan, over all shards.</param>
/// <param name="SiloPeakMemoryBytes">Per silo, the peak resident memory of its process while it ran the job's shards (silos in one process report the same).</param>
[GenerateSerializer, Immutable, Alias("distattn.JobStatus")]
public sealed record JobStatus(
    string JobId,
    JobKind Kind,
    JobState State,
    string Phase,
    int Layers,
    int LayersCompleted,
    ShardProgress[] Shards,
    RecoveryEvent[] Recoveries,
    CoordinatorMove[] CoordinatorMoves,
    PhaseTiming[] Phases,
    Dictionary<string, long> BytesByCollective,
    long[] BytesPerLayer,
    string? Error,
    double ElapsedSeconds,
    string CoordinatorSilo,
    bool Released = false,
    string TraceId = "",
    int QueuePosition = 0,
    long MemoryBytes = 0,
    Dictionary<string, long>? SiloPeakMemoryBytes = null);

/// <summary>One shard's progress.</summary>
/// <param name="Shard">Shard index.</param>
/// <param name="Silo">Silo hosting it now.</param>
/// <param name="Device">Device slot.</param>
/// <param name="LayersDone">Layers completed.</param>
[GenerateSerializer, Immutable, Alias("distattn.ShardProgress")]
public sealed record ShardProgress(int Shard, string Silo, string Device, int LayersDone);

/// <summary>A shard that was lost with its silo and recomputed elsewhere.</summary>
/// <param name="Shard">The shard.</param>
/// <param name="Layer">The layer whose input it was restored to (the layer count: its output).</param>
/// <param name="LostSilo">Where it was.</param>
/// <param name="NewSilo">Where it was recomputed.</param>
/// <param name="Source">What it was recomputed from.</param>
[GenerateSerializer, Immutable, Alias("distattn.RecoveryEvent")]
public sealed record RecoveryEvent(int Shard, int Layer, string LostSilo, string NewSilo, string Source);

/// <summary>The job's coordinator was lost with its silo and the job resumed on another silo.</summary>
/// <param name="LostSilo">Where the coordinator was.</param>
/// <param name="NewSilo">Where it resumed.</param>
/// <param name="LayersCompleted">Layers completed when it resumed (it resumed with the next one).</param>
/// <param name="Phase">The phase it resumed in.</param>
[GenerateSerializer, Immutable, Alias("distattn.CoordinatorMove")]
public sealed record CoordinatorMove(string LostSilo, string NewSilo, int LayersCompleted, string Phase);

/// <summary>Wall time of one phase of a job.</summary>
/// <param name="Phase">Name ("prepare", "layer 0", "recovery (layer 2)"…).</param>
/// <param name="Seconds">Wall seconds.</param>
[GenerateSerializer, Immutable, Alias("distattn.PhaseTiming")]
public sealed record PhaseTiming(string Phase, double Seconds);
