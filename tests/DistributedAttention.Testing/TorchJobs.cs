using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Core.IO;
using static TorchSharp.torch;

namespace DistributedAttention.Testing;

/// <summary>An attention job's outputs as TorchSharp tensors, for comparing with the single-device core. Dispose it.</summary>
public sealed record TorchAttentionResult(JobPlan Plan, JobStatus Status, Tensor Output, Tensor? Lse) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        Output.Dispose();
        Lse?.Dispose();
    }
}

/// <summary>The torch-free <see cref="JobClient"/> driven with TorchSharp tensors (tests compare with the core on tensors).</summary>
public static class TorchJobs
{
    /// <summary><see cref="JobClient.RunAttentionAsync"/> over tensors; the result's tensors are new CPU tensors.</summary>
    public static async Task<TorchAttentionResult> RunAttentionAsync(
        this JobClient client, AttentionSpec spec, Tensor q, Tensor k, Tensor v, JobOptions options, IProgress<JobStatus>? progress, CancellationToken cancellationToken, string? jobId = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        var result = await client.RunAttentionAsync(spec, q.ToHost(), k.ToHost(), v.ToHost(), options, progress, cancellationToken, jobId);
        return new TorchAttentionResult(result.Plan, result.Status, result.Output.ToTorch(), result.Lse?.ToTorch());
    }
}
