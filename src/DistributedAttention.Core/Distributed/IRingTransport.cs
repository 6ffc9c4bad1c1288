using static TorchSharp.torch;

namespace DistributedAttention.Core.Distributed;

/// <summary>
/// Point-to-point tensor messages between the shards of one ring. The collectives of
/// <c>RingCollectives</c> only ever address ring neighbours through it; routing attention's
/// all-to-all addresses every shard. Implementations:
/// <see cref="InMemoryRing"/> (one process) and the Orleans shard grains (a cluster).
/// </summary>
/// <remarks>
/// A tag names one message of one collective; it is unique within a run, and its first
/// segment (up to '/') is the collective's name, which transports use to count traffic.
/// </remarks>
public interface IRingTransport
{
    /// <summary>This shard's index in the ring.</summary>
    int Shard { get; }

    /// <summary>The layout of the whole ring.</summary>
    ShardLayout Layout { get; }

    /// <summary>
    /// Sends <paramref name="tensor"/> to shard <paramref name="to"/> under <paramref name="tag"/>.
    /// The tensor is copied before this method returns its task; the caller keeps ownership.
    /// </summary>
    Task SendAsync(int to, string tag, Tensor tensor, CancellationToken cancellationToken);

    /// <summary>
    /// Receives the tensor shard <paramref name="from"/> sent under <paramref name="tag"/> (a CPU tensor the caller owns):
    /// integer tensors arrive exactly (as int32 or their own type), numbers as float32 (through the job's wire type).
    /// </summary>
    Task<Tensor> ReceiveAsync(int from, string tag, CancellationToken cancellationToken);
}
