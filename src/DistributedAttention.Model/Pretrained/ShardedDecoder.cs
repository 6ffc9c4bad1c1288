using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Distributed;
using DistributedAttention.Core.Runtime;
using static TorchSharp.torch;

namespace DistributedAttention.Model.Pretrained;

/// <summary>
/// A <see cref="DecoderModel"/> on one shard of a ring: the per-token steps on the shard's rows,
/// each layer's attention through <see cref="ShardAttention"/> (sliding layers exchange halos of
/// W − 1 rows, full layers run the causal ring; keys and values travel at the kv heads). The shards
/// together give exactly <see cref="DecoderModel.Forward"/>'s rows.
/// </summary>
public static class ShardedDecoder
{
    /// <summary>One layer on this shard's rows.</summary>
    /// <param name="layer">The layer.</param>
    /// <param name="x">(batch, rows, hidden) this shard's layer input.</param>
    /// <param name="ring">This shard's transport.</param>
    /// <param name="executor">Where tensor work runs.</param>
    /// <param name="scope">Unique name of this layer run among the ring's messages.</param>
    /// <param name="cancellationToken">Cancels waiting for other shards.</param>
    /// <returns>(batch, rows, hidden); the caller disposes it.</returns>
    public static async Task<Tensor> LayerAsync(DecoderLayer layer, Tensor x, IRingTransport ring, IComputeExecutor executor, string scope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(ring);
        ArgumentNullException.ThrowIfNull(executor);
        var start = ring.Layout.Start(ring.Shard);
        AttentionResult attention;
        using (var qkv = await executor.RunAsync(() => layer.ProjectQkv(x, start), cancellationToken).ConfigureAwait(false))
        {
            attention = await ShardAttention.ForwardAsync(layer.Spec, qkv.Q, qkv.K, qkv.V, ring, executor, scope, cancellationToken).ConfigureAwait(false);
        }
        using (attention)
        {
            return await executor.RunAsync(() => layer.Finish(x, attention.Output), cancellationToken).ConfigureAwait(false);
        }
    }
}
