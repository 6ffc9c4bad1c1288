namespace DistributedAttention.Pipeline;

/// <summary>summary.json of <c>distattn process</c>: what ran where, how long each phase took and what moved.</summary>
/// <param name="Book">The input file.</param>
/// <param name="Encoding">Encoding the book was decoded with.</param>
/// <param name="Tokens">Tokens processed.</param>
/// <param name="Sections">Sections (rows of chapters.safetensors).</param>
/// <param name="Shards">Shards P.</param>
/// <param name="Silos">Silos in the cluster.</param>
/// <param name="Cluster">Where it ran.</param>
/// <param name="JobId">The cluster's job id.</param>
/// <param name="Model">Model shape.</param>
/// <param name="MechanismPerLayer">Attention mechanism of each layer.</param>
/// <param name="Wire">Element type exchanged between shards.</param>
/// <param name="PhasesSeconds">Wall seconds per phase: tokenize, the job's phases, write.</param>
/// <param name="TotalSeconds">Wall seconds of the whole command.</param>
/// <param name="JobSeconds">Seconds the job ran on the cluster.</param>
/// <param name="TokensPerSecond">Tokens / job seconds.</param>
/// <param name="Bytes">Bytes exchanged between shards.</param>
/// <param name="Recoveries">Shards recomputed after a silo was lost.</param>
/// <param name="ShardBounds">P+1 shard bounds.</param>
/// <param name="Placements">Where each shard ran at the end of the job.</param>
/// <param name="Replicas">Copies kept of each shard's layer input (on the next shards of the ring).</param>
/// <param name="CoordinatorMoves">Times the job's coordinator was lost with its silo and the job resumed on another.</param>
/// <param name="TraceId">The job's trace id (every span of the job, in the dashboard).</param>
/// <param name="Verification">The single-device comparison (<c>--verify</c>), or null.</param>
/// <param name="Speed">Per layer, its useful GFLOP/s against a matmul measured in this process.</param>
/// <param name="Memory">Peak resident memory per silo and of this process.</param>
/// <param name="LanguageModel">With trained weights: the next-token loss over the whole book.</param>
public sealed record ProcessSummary(
    string Book,
    string Encoding,
    long Tokens,
    int Sections,
    int Shards,
    int Silos,
    string Cluster,
    string JobId,
    ModelSummary Model,
    IReadOnlyList<string> MechanismPerLayer,
    string Wire,
    IReadOnlyDictionary<string, double> PhasesSeconds,
    double TotalSeconds,
    double JobSeconds,
    double TokensPerSecond,
    BytesSummary Bytes,
    IReadOnlyList<RecoverySummary> Recoveries,
    IReadOnlyList<long> ShardBounds,
    IReadOnlyList<PlacementSummary> Placements,
    int Replicas,
    IReadOnlyList<CoordinatorMoveSummary> CoordinatorMoves,
    SingleDeviceCheck? Verification = null,
    string TraceId = "",
    SpeedSummary? Speed = null,
    MemorySummary? Memory = null,
    LanguageModelSummary? LanguageModel = null)
{
    /// <summary>With a pretrained model (<c>--model</c>): what it is and how it ran; absent otherwise.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public PretrainedSummary? Pretrained { get; init; }
}

/// <summary>A pretrained model's part of summary.json.</summary>
/// <param name="Folder">The model folder.</param>
/// <param name="Family">config.json's model_type.</param>
/// <param name="Parameters">Parameter count.</param>
/// <param name="ComputeType">The type the shards computed in.</param>
/// <param name="Heads">Query heads.</param>
/// <param name="KvHeads">Key/value heads: halo and ring K/V bytes are heads / kv heads times fewer than with repeated heads.</param>
/// <param name="MaxPositions">The positions the model was trained for.</param>
/// <param name="Fingerprint">The folder's fingerprint, which every silo checked.</param>
/// <param name="ExactTokenOffsets">Whether each token's char offset (hence the sections' token ranges) is exact.</param>
/// <param name="Warnings">What the user should know (a book longer than the model was trained for…).</param>
public sealed record PretrainedSummary(string Folder, string Family, long Parameters, string ComputeType, int Heads, int KvHeads, long MaxPositions, string Fingerprint,
    bool ExactTokenOffsets, IReadOnlyList<string> Warnings);

/// <summary>With trained weights (<c>--weights</c>), how well the model predicts the book, in summary.json; per section in chapters.json.</summary>
/// <param name="Weights">The checkpoint's file name.</param>
/// <param name="Loss">Mean next-token loss in nats over every token but the first.</param>
/// <param name="Perplexity">e^Loss.</param>
/// <param name="ScoredTokens">Tokens scored.</param>
public sealed record LanguageModelSummary(string Weights, double Loss, double Perplexity, long ScoredTokens);

/// <summary>How close to the machine's roof the layers ran, in summary.json.</summary>
/// <param name="MatmulGflops">fp32 matmul GFLOP/s measured in this process after the job (with an embedded cluster, the silos' machine); null where the host has no tensor library to measure it.</param>
/// <param name="Layers">One row per layer.</param>
public sealed record SpeedSummary(double? MatmulGflops, IReadOnlyList<LayerSpeed> Layers);

/// <summary>One layer's speed: useful FLOPs (projections, feed-forward, visible attention pairs) over its wall time.</summary>
/// <param name="Layer">The layer.</param>
/// <param name="Seconds">Wall seconds of the layer's phase on the cluster (all shards).</param>
/// <param name="UsefulGflop">Useful GFLOP of the layer over the whole book.</param>
/// <param name="Gflops">UsefulGflop / Seconds.</param>
/// <param name="RatioToMatmul">Gflops / the matmul's GFLOP/s; null where the matmul was not measured.</param>
public sealed record LayerSpeed(int Layer, double Seconds, double UsefulGflop, double Gflops, double? RatioToMatmul);

/// <summary>Peak resident memory, in summary.json.</summary>
/// <param name="PerSiloBytes">Per silo, its process's peak while it ran the job (silos sharing a process, as an embedded cluster's do, report the same).</param>
/// <param name="ThisProcessBytes">Peak of the process that wrote the summary (with an embedded cluster it holds the silos too).</param>
public sealed record MemorySummary(IReadOnlyDictionary<string, long> PerSiloBytes, long ThisProcessBytes);

/// <summary>A coordinator loss the job survived, in summary.json.</summary>
/// <param name="LostSilo">Where the coordinator was.</param>
/// <param name="NewSilo">Where the job resumed.</param>
/// <param name="LayersCompleted">Layers completed when it resumed.</param>
public sealed record CoordinatorMoveSummary(string LostSilo, string NewSilo, int LayersCompleted);

/// <summary>Where one shard ran, in summary.json.</summary>
/// <param name="Shard">The shard.</param>
/// <param name="Start">First token.</param>
/// <param name="End">One past its last token.</param>
/// <param name="Silo">The silo that held it at the end.</param>
/// <param name="Device">Its device slot there.</param>
public sealed record PlacementSummary(int Shard, long Start, long End, string Silo, string Device);

/// <summary>The model's shape in summary.json.</summary>
/// <param name="Layers">Layers.</param>
/// <param name="ModelDim">d_model.</param>
/// <param name="Heads">Heads.</param>
/// <param name="FeedForwardDim">Feed-forward inner size.</param>
/// <param name="VocabSize">Vocabulary size.</param>
/// <param name="Seed">Weight seed.</param>
public sealed record ModelSummary(int Layers, int ModelDim, int Heads, int FeedForwardDim, int VocabSize, ulong Seed);

/// <summary>Bytes exchanged between shards in summary.json.</summary>
/// <param name="Total">All collectives, all layers.</param>
/// <param name="ByCollective">Per collective ("halo", "allgather", "backup"…).</param>
/// <param name="PerLayer">Per layer (recovery replication excluded).</param>
public sealed record BytesSummary(long Total, IReadOnlyDictionary<string, long> ByCollective, IReadOnlyList<long> PerLayer);

/// <summary>One recovered shard in summary.json.</summary>
/// <param name="Shard">The shard.</param>
/// <param name="Layer">Layer being computed when it was lost.</param>
/// <param name="LostSilo">Where it was.</param>
/// <param name="NewSilo">Where it was recomputed.</param>
/// <param name="Source">What it was recomputed from.</param>
public sealed record RecoverySummary(int Shard, int Layer, string LostSilo, string NewSilo, string Source);
