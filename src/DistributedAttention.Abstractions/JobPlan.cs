namespace DistributedAttention.Abstractions;

/// <summary>
/// A job's plan: everything a client needs to upload its inputs to the shards and read the
/// outputs from them (it knows the shard bounds), also after reattaching by job id.
/// </summary>
/// <param name="JobId">The job id.</param>
/// <param name="Work">What the job computes.</param>
/// <param name="Options">How it is split and run.</param>
/// <param name="Bounds">P+1 shard bounds: shard s holds rows Bounds[s] .. Bounds[s+1] − 1.</param>
/// <param name="Shards">Placement of every shard when the plan was read.</param>
[GenerateSerializer, Immutable, Alias("distattn.JobPlan")]
public sealed record JobPlan(string JobId, JobWork Work, JobOptions Options, long[] Bounds, ShardPlacement[] Shards)
{
    /// <summary>Number of shards.</summary>
    public int Count => Bounds.Length - 1;

    /// <summary>Model or attention.</summary>
    public JobKind Kind => Work.Kind;

    /// <summary>Layers the job runs.</summary>
    public int Layers => Work.Layers;
}

/// <summary>Where one shard runs.</summary>
/// <param name="Shard">Shard index.</param>
/// <param name="Start">First absolute position.</param>
/// <param name="End">One past the last absolute position.</param>
/// <param name="Silo">Address of the silo hosting it ("" before it first ran).</param>
/// <param name="Device">Device slot on that silo ("cpu", "cuda:0"…).</param>
[GenerateSerializer, Immutable, Alias("distattn.ShardPlacement")]
public sealed record ShardPlacement(int Shard, long Start, long End, string Silo, string Device);
