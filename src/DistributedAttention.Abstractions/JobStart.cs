namespace DistributedAttention.Abstractions;

/// <summary>The answer to a start request.</summary>
/// <param name="Started">The job is running (or had already started or ended).</param>
/// <param name="ShardsMissingInputs">Shards that do not hold all their inputs (never uploaded, or lost with their silo before the job started): upload those again and start again.</param>
/// <param name="Detail">What is missing, for messages.</param>
[GenerateSerializer, Immutable, Alias("distattn.JobStart")]
public sealed record JobStart(bool Started, int[] ShardsMissingInputs, string Detail);
