using DistributedAttention.Abstractions;

namespace DistributedAttention.Client;

/// <summary>A completed attention job with its assembled outputs.</summary>
/// <param name="Plan">Shards and their placement.</param>
/// <param name="Status">The final status.</param>
/// <param name="Output">o, (batch, heads, n, dv) fp32.</param>
/// <param name="Lse">Log-sum-exp, (batch, heads, n) fp32, or <c>null</c> where the mechanism defines none (Performer).</param>
/// <param name="UploadSeconds">Wall seconds the client spent uploading inputs to the shards and starting the job (0 when it reattached).</param>
public sealed record AttentionJobResult(JobPlan Plan, JobStatus Status, HostTensor Output, HostTensor? Lse, double UploadSeconds) : IJobResult;
