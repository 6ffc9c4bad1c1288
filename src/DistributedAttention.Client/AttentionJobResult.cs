using DistributedAttention.Abstractions;
using static TorchSharp.torch;

namespace DistributedAttention.Client;

/// <summary>A completed attention job with its assembled outputs. Dispose it to free the tensors.</summary>
/// <param name="Plan">Shards and their placement.</param>
/// <param name="Status">The final status.</param>
/// <param name="Output">o, (batch, heads, n, dv) fp32 on the CPU.</param>
/// <param name="Lse">Log-sum-exp, (batch, heads, n) fp32, or <c>null</c> where the mechanism defines none (Performer).</param>
public sealed record AttentionJobResult(JobPlan Plan, JobStatus Status, Tensor Output, Tensor? Lse) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        Output.Dispose();
        Lse?.Dispose();
    }
}
