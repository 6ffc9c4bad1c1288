using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;

namespace DistributedAttention.Client;

/// <summary>A completed pretrained job; its hidden states went to the sink, its next-token scores are here.</summary>
/// <param name="Plan">Shards and their placement.</param>
/// <param name="Status">The final status (phases, bytes exchanged, recoveries).</param>
/// <param name="Rows">Hidden-state rows streamed to the sink (the token count).</param>
/// <param name="UploadSeconds">Wall seconds the client spent uploading inputs to the shards and starting the job.</param>
/// <param name="LogProb">(n − 1): log p(token i + 1 | tokens ≤ i) in nats.</param>
/// <param name="Entropy">(n − 1): the entropy of the prediction after token i, in nats.</param>
public sealed record PretrainedJobResult(JobPlan Plan, JobStatus Status, long Rows, double UploadSeconds, HostTensor LogProb, HostTensor Entropy) : IJobResult;
