using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Distributed;
using DistributedAttention.Core.Runtime;
using static TorchSharp.torch;

namespace DistributedAttention.Model;

/// <summary>
/// Runs a <see cref="TransformerModel"/> on one shard of a ring: embedding, the per-token steps of
/// each layer and the final norm run on the shard's own rows; the attention step runs through
/// <see cref="ShardAttention"/> with the other shards. Together the shards give exactly the rows
/// of <see cref="TransformerModel.forward"/> on the whole sequence.
/// </summary>
public static class ShardedTransformer
{
    /// <summary>Embeds this shard's token ids.</summary>
    /// <param name="model">The model.</param>
    /// <param name="tokenIds">(batch, rows) int64 token ids.</param>
    /// <param name="executor">Where tensor work runs.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>(batch, rows, d_model); the caller disposes it.</returns>
    public static Task<Tensor> EmbedAsync(TransformerModel model, Tensor tokenIds, IComputeExecutor executor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(executor);
        return executor.RunAsync(() => model.Embed(tokenIds), cancellationToken);
    }

    /// <summary>One layer on this shard's rows, exchanging with the ring in the attention step.</summary>
    /// <param name="layer">The layer.</param>
    /// <param name="x">(batch, rows, d_model) this shard's layer input.</param>
    /// <param name="ring">This shard's ring transport.</param>
    /// <param name="executor">Where tensor work runs.</param>
    /// <param name="scope">Unique name of this layer run among the ring's messages.</param>
    /// <param name="cancellationToken">Cancels waiting for other shards.</param>
    /// <returns>(batch, rows, d_model) layer output; the caller disposes it.</returns>
    public static async Task<Tensor> LayerAsync(TransformerLayer layer, Tensor x, IRingTransport ring, IComputeExecutor executor, string scope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(ring);
        ArgumentNullException.ThrowIfNull(executor);
        var start = ring.Layout.Start(ring.Shard);
        AttentionResult attention;
        using (var qkv = await executor.RunAsync(() => layer.ProjectQkv(x, start), cancellationToken).ConfigureAwait(false))
        {
            attention = await ShardAttention.ForwardAsync(layer.AttentionStepSpec, qkv.Q, qkv.K, qkv.V, ring, executor, scope, cancellationToken).ConfigureAwait(false);
        }
        // q, k and v (three shard-sized tensors) are freed before the output is made.
        using (attention)
        {
            return await executor.RunAsync(() => layer.Finish(x, attention.Output), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The final LayerNorm on this shard's rows.</summary>
    public static Task<Tensor> FinalNormAsync(TransformerModel model, Tensor x, IComputeExecutor executor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(executor);
        return executor.RunAsync(() =>
        {
            using var scope = NewDisposeScope();
            return model.FinalNorm(x).MoveToOuterDisposeScope();
        }, cancellationToken);
    }
}
