namespace DistributedAttention.Abstractions;

/// <summary>Everything a shard grain needs to join a job.</summary>
/// <param name="JobId">The job id.</param>
/// <param name="Shard">This shard's index.</param>
/// <param name="Bounds">P+1 shard bounds.</param>
/// <param name="Work">What the job computes.</param>
/// <param name="Options">Run options.</param>
[GenerateSerializer, Immutable, Alias("distattn.ShardAssignment")]
public sealed record ShardAssignment(string JobId, int Shard, long[] Bounds, JobWork Work, JobOptions Options)
{
    /// <summary>Number of shards.</summary>
    public int Count => Bounds.Length - 1;

    /// <summary>Whether <paramref name="other"/> is the same shard of the same job.</summary>
    public bool SameAs(ShardAssignment other) =>
        other is not null && JobId == other.JobId && Shard == other.Shard && Bounds.AsSpan().SequenceEqual(other.Bounds) && Work == other.Work && Options == other.Options;
}
