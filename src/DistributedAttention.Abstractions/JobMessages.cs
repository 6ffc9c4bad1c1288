using DistributedAttention.Contracts;

namespace DistributedAttention.Abstractions;

/// <summary>What a job computes.</summary>
[GenerateSerializer]
public enum JobKind
{
    /// <summary>The transformer model over token ids: per-token hidden states.</summary>
    Model = 0,

    /// <summary>One attention call over q, k, v tensors: o and lse.</summary>
    Attention = 1,
}

/// <summary>Where a job is in its life.</summary>
[GenerateSerializer]
public enum JobState
{
    /// <summary>Planned; inputs may still be uploading.</summary>
    Created = 0,

    /// <summary>Layers are running.</summary>
    Running = 1,

    /// <summary>Every layer is done; the output can be read.</summary>
    Completed = 2,

    /// <summary>Stopped by an error; see <see cref="JobStatus.Error"/>.</summary>
    Failed = 3,

    /// <summary>Stopped on request.</summary>
    Cancelled = 4,
}

/// <summary>How to split and run a job.</summary>
/// <param name="Shards">Number of shards P (ring length).</param>
/// <param name="ShardSizes">Optional explicit shard sizes (must sum to the sequence length); null splits evenly.</param>
/// <param name="Wire">Element type of tensors exchanged between shards.</param>
/// <param name="Replicate">Keep a copy of each shard's layer input on its ring neighbour, so a lost shard is recomputed from it.</param>
/// <param name="ChunkBytes">Largest payload of one message in bytes.</param>
[GenerateSerializer, Immutable, Alias("distattn.JobOptions")]
public sealed record JobOptions(int Shards, long[]? ShardSizes = null, WireDType Wire = WireDType.Float32, bool Replicate = true, int ChunkBytes = 4 << 20);

/// <summary>Run the transformer over a token sequence; the tokens follow with <see cref="IJobGrain.AppendTokensAsync"/>.</summary>
/// <param name="ModelOptionsJson">The model's options (TransformerOptions JSON); weights are seeded from it.</param>
/// <param name="Tokens">Number of tokens that will be uploaded.</param>
/// <param name="Options">Split and run options.</param>
[GenerateSerializer, Immutable, Alias("distattn.ModelJobRequest")]
public sealed record ModelJobRequest(string ModelOptionsJson, long Tokens, JobOptions Options);

/// <summary>One attention call over (batch, heads, n, d) tensors, uploaded to the shards by the client.</summary>
/// <param name="SpecJson">The attention spec (AttentionSpec JSON).</param>
/// <param name="Batch">Batch size.</param>
/// <param name="Heads">Heads.</param>
/// <param name="Length">Sequence length n.</param>
/// <param name="HeadDim">q/k head dim d.</param>
/// <param name="ValueDim">v head dim dv.</param>
/// <param name="Options">Split and run options.</param>
[GenerateSerializer, Immutable, Alias("distattn.AttentionJobRequest")]
public sealed record AttentionJobRequest(string SpecJson, long Batch, long Heads, long Length, long HeadDim, long ValueDim, JobOptions Options);

/// <summary>Where one shard runs.</summary>
/// <param name="Shard">Shard index.</param>
/// <param name="Start">First absolute position.</param>
/// <param name="End">One past the last absolute position.</param>
/// <param name="Silo">Address of the silo hosting it.</param>
/// <param name="Device">Device slot on that silo ("cpu", "cuda:0"…).</param>
[GenerateSerializer, Immutable, Alias("distattn.ShardPlacement")]
public sealed record ShardPlacement(int Shard, long Start, long End, string Silo, string Device);

/// <summary>A job's plan: its shards and where they run.</summary>
/// <param name="JobId">The job id.</param>
/// <param name="Kind">Model or attention.</param>
/// <param name="Bounds">P+1 shard bounds.</param>
/// <param name="Layers">Number of layers (1 for an attention job).</param>
/// <param name="Shards">Placement of every shard.</param>
[GenerateSerializer, Immutable, Alias("distattn.JobPlan")]
public sealed record JobPlan(string JobId, JobKind Kind, long[] Bounds, int Layers, ShardPlacement[] Shards);

/// <summary>One shard's progress.</summary>
/// <param name="Shard">Shard index.</param>
/// <param name="Silo">Silo hosting it now.</param>
/// <param name="Device">Device slot.</param>
/// <param name="LayersDone">Layers completed.</param>
[GenerateSerializer, Immutable, Alias("distattn.ShardProgress")]
public sealed record ShardProgress(int Shard, string Silo, string Device, int LayersDone);

/// <summary>A shard that was lost with its silo and recomputed elsewhere.</summary>
/// <param name="Shard">The shard.</param>
/// <param name="Layer">The layer being computed when it was lost.</param>
/// <param name="LostSilo">Where it was.</param>
/// <param name="NewSilo">Where it was recomputed.</param>
/// <param name="Source">What it was recomputed from.</param>
[GenerateSerializer, Immutable, Alias("distattn.RecoveryEvent")]
public sealed record RecoveryEvent(int Shard, int Layer, string LostSilo, string NewSilo, string Source);

/// <summary>Wall time of one phase of a job.</summary>
/// <param name="Phase">Name ("load", "layer 0", "output"…).</param>
/// <param name="Seconds">Wall seconds.</param>
[GenerateSerializer, Immutable, Alias("distattn.PhaseTiming")]
public sealed record PhaseTiming(string Phase, double Seconds);

/// <summary>What one shard did in one layer.</summary>
/// <param name="Shard">Shard index.</param>
/// <param name="Layer">Layer index.</param>
/// <param name="Silo">Silo it ran on.</param>
/// <param name="Seconds">Wall seconds of the layer on this shard.</param>
/// <param name="BytesSent">Bytes this shard sent, by collective ("halo", "allgather", "backup"…).</param>
[GenerateSerializer, Immutable, Alias("distattn.LayerReport")]
public sealed record LayerReport(int Shard, int Layer, string Silo, double Seconds, Dictionary<string, long> BytesSent);

/// <summary>A job's status.</summary>
/// <param name="JobId">The job id.</param>
/// <param name="Kind">Model or attention.</param>
/// <param name="State">Life-cycle state.</param>
/// <param name="Layers">Number of layers.</param>
/// <param name="Shards">Per-shard progress.</param>
/// <param name="Recoveries">Shards recomputed after a silo was lost.</param>
/// <param name="Phases">Wall time per phase so far.</param>
/// <param name="BytesByCollective">Bytes exchanged between shards, by collective, over all layers.</param>
/// <param name="BytesPerLayer">Bytes exchanged per layer (recovery replication excluded).</param>
/// <param name="Error">Why the job failed, when it did.</param>
/// <param name="ElapsedSeconds">Seconds since the job started.</param>
/// <param name="CoordinatorSilo">The silo hosting the job's coordinator.</param>
[GenerateSerializer, Immutable, Alias("distattn.JobStatus")]
public sealed record JobStatus(
    string JobId,
    JobKind Kind,
    JobState State,
    int Layers,
    ShardProgress[] Shards,
    RecoveryEvent[] Recoveries,
    PhaseTiming[] Phases,
    Dictionary<string, long> BytesByCollective,
    long[] BytesPerLayer,
    string? Error,
    double ElapsedSeconds,
    string CoordinatorSilo = "");

/// <summary>Everything a shard grain needs to join a job.</summary>
/// <param name="JobId">The job id.</param>
/// <param name="Kind">Model or attention.</param>
/// <param name="Shard">This shard's index.</param>
/// <param name="Bounds">P+1 shard bounds.</param>
/// <param name="ConfigJson">Model options JSON (model job) or attention spec JSON (attention job).</param>
/// <param name="Options">Run options.</param>
[GenerateSerializer, Immutable, Alias("distattn.ShardAssignment")]
public sealed record ShardAssignment(string JobId, JobKind Kind, int Shard, long[] Bounds, string ConfigJson, JobOptions Options);
