using DistributedAttention.Contracts;
using DistributedAttention.Core.Distributed;
using DistributedAttention.Core.Runtime;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Shards.Programs;

/// <summary>A shard of an attention job: one "layer", the attention call over its q, k, v rows; its output is o and, where defined, lse. Holds (batch, heads, rows, d).</summary>
internal sealed class AttentionShardProgram(AttentionSpec spec, Device device) : IShardProgram
{
    /// <inheritdoc />
    public void Dispose()
    {
        // Holds nothing beyond the call.
    }

    /// <inheritdoc />
    public int SequenceDim => 2;

    /// <inheritdoc />
    public int Layers => 1;

    /// <inheritdoc />
    public Task<Tensor[]> PrepareAsync(Tensor[] uploaded, IComputeExecutor executor, CancellationToken cancellationToken) =>
        executor.RunAsync(() =>
        {
            using var scope = NewDisposeScope();
            return uploaded.Select(t => t.to(device).alias().MoveToOuterDisposeScope()).ToArray();
        }, cancellationToken);

    /// <inheritdoc />
    public async Task<Tensor[]> RunLayerAsync(int layer, Tensor[] input, IRingTransport ring, IComputeExecutor executor, CancellationToken cancellationToken)
    {
        var result = await ShardAttention.ForwardAsync(spec, input[0], input[1], input[2], ring, executor, "A", cancellationToken).ConfigureAwait(false);
        return result.Lse is null ? [result.Output] : [result.Output, result.Lse];
    }
}
