using DistributedAttention.Core.Distributed;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Grains.Runtime;
using DistributedAttention.Model.Pretrained;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Shards.Programs;

/// <summary>
/// A shard of a pretrained job: embeds its token ids, runs the decoder one layer at a time, and
/// after the last layer applies the final norm and scores each row's successor through the output
/// head on the shard itself. Between layers it holds (1, rows, hidden) and its rows' successor ids
/// (1, rows) as floats (exact below 2^24; the largest vocabularies are 262 144), so a restored copy
/// carries everything the last layer needs.
/// </summary>
internal sealed class PretrainedShardProgram(ModelLease<DecoderHandle> lease, Device device) : IShardProgram
{
    private readonly DecoderModel model = lease.Model.Model;

    /// <inheritdoc />
    public void Dispose() => lease.Dispose();

    /// <inheritdoc />
    public int SequenceDim => 1;

    /// <inheritdoc />
    public int Layers => model.Layers.Count;

    /// <inheritdoc />
    public async Task<Tensor[]> PrepareAsync(Tensor[] uploaded, IComputeExecutor executor, CancellationToken cancellationToken)
    {
        var (ids, targets) = (uploaded[0], uploaded[1]);
        var prepared = await executor.RunAsync(() =>
        {
            using var scope = NewDisposeScope();
            var embedded = model.Embed(ids.reshape(1, -1).to(ScalarType.Int64).to(device));
            var successors = targets.reshape(1, -1).to(ScalarType.Float32).to(device);
            return new[] { embedded.MoveToOuterDisposeScope(), successors.MoveToOuterDisposeScope() };
        }, cancellationToken).ConfigureAwait(false);
        return prepared;
    }

    /// <inheritdoc />
    public async Task<Tensor[]> RunLayerAsync(int layer, Tensor[] input, IRingTransport ring, IComputeExecutor executor, CancellationToken cancellationToken)
    {
        var (x, successors) = (input[0], input[1]);
        var y = await ShardedDecoder.LayerAsync(model.Layers[layer], x, ring, executor, $"L{layer}", cancellationToken).ConfigureAwait(false);
        if (layer < Layers - 1)
        {
            var kept = await executor.RunAsync(() => successors.alias(), cancellationToken).ConfigureAwait(false);
            return [y, kept];
        }
        using (y)
        {
            return await executor.RunAsync(() =>
            {
                using var scope = NewDisposeScope();
                using var nan = float.NaN.ToScalar();
                var hidden = model.FinalNorm(y);
                var next = successors.reshape(-1).to(ScalarType.Int64);
                // The last token of the book has no successor (−1): scored against id 0, then marked NaN.
                var scored = next.ge(KeptScalars.Zero);
                var (logProb, entropy) = model.Score(hidden.squeeze(0), next.clamp_min(KeptScalars.Zero));
                logProb = logProb.to(ScalarType.Float32).masked_fill_(scored.logical_not(), nan);
                entropy = entropy.to(ScalarType.Float32).masked_fill_(scored.logical_not(), nan);
                return new[] { hidden.MoveToOuterDisposeScope(), logProb.reshape(1, -1).MoveToOuterDisposeScope(), entropy.reshape(1, -1).MoveToOuterDisposeScope() };
            }, cancellationToken).ConfigureAwait(false);
        }
    }
}
