using DistributedAttention.Core.Distributed;
using DistributedAttention.Core.Runtime;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Shards.Programs;

/// <summary>
/// What one shard computes for its job kind: how its uploaded inputs become the layer-0 input,
/// and one layer over the ring. The shard grain holds the tensors, the ring and the copies;
/// a program only computes. Tensors come and go through the caller, which owns them. Disposing
/// returns what the program holds (a model lease); do it on the shard's device thread.
/// </summary>
internal interface IShardProgram : IDisposable
{
    /// <summary>The sequence dimension of the tensors the shard holds between layers.</summary>
    int SequenceDim { get; }

    /// <summary>Number of layers.</summary>
    int Layers { get; }

    /// <summary>The layer-0 input on the shard's device from the uploaded inputs (CPU, in the job's input order).</summary>
    Task<Tensor[]> PrepareAsync(Tensor[] uploaded, IComputeExecutor executor, CancellationToken cancellationToken);

    /// <summary>Layer <paramref name="layer"/> of this shard, together with the other shards of <paramref name="ring"/>.</summary>
    Task<Tensor[]> RunLayerAsync(int layer, Tensor[] input, IRingTransport ring, IComputeExecutor executor, CancellationToken cancellationToken);
}
