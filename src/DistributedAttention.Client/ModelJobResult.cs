using DistributedAttention.Abstractions;

namespace DistributedAttention.Client;

/// <summary>A completed model job; its hidden states went to the sink.</summary>
/// <param name="Plan">Shards and their placement.</param>
/// <param name="Status">The final status (phases, bytes exchanged, recoveries).</param>
/// <param name="Rows">Hidden-state rows streamed to the sink (the token count).</param>
/// <param name="UploadSeconds">Wall seconds the client spent uploading inputs to the shards and starting the job (0 when it reattached).</param>
public sealed record ModelJobResult(JobPlan Plan, JobStatus Status, long Rows, double UploadSeconds) : IJobResult;
