using DistributedAttention.Core.Distributed;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Grains.Runtime;
using DistributedAttention.Model;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Shards.Programs;

/// <summary>A shard of a model job: embeds its token ids, then runs the transformer one layer at a time; the last layer ends with the final norm. Holds (1, rows, d_model).</summary>
internal sealed class ModelShardProgram(ModelLease<TransformerModel> lease, Device device) : IShardProgram
{
    private readonly TransformerModel model = lease.Model;

    /// <inheritdoc />
    public void Dispose() => lease.Dispose();

    /// <inheritdoc />
    public int SequenceDim => 1;

    /// <inheritdoc />
    public int Layers => model.Layers.Count;

    /// <inheritdoc />
    public async Task<Tensor[]> PrepareAsync(Tensor[] uploaded, IComputeExecutor executor, CancellationToken cancellationToken)
    {
        var ids = uploaded[0];
        var embedded = await executor.RunAsync(() =>
        {
            using var scope = NewDisposeScope();
            return model.Embed(ids.reshape(1, -1).to(ScalarType.Int64).to(device)).MoveToOuterDisposeScope();
        }, cancellationToken).ConfigureAwait(false);
        return [embedded];
    }

    /// <inheritdoc />
    public async Task<Tensor[]> RunLayerAsync(int layer, Tensor[] input, IRingTransport ring, IComputeExecutor executor, CancellationToken cancellationToken)
    {
        var y = await ShardedTransformer.LayerAsync(model.Layers[layer], input[0], ring, executor, $"L{layer}", cancellationToken).ConfigureAwait(false);
        if (layer < Layers - 1) return [y];
        using (y) return [await ShardedTransformer.FinalNormAsync(model, y, executor, cancellationToken).ConfigureAwait(false)];
    }
}
