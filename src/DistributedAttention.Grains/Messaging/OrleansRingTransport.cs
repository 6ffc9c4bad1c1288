using System.Diagnostics;
using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Distributed;
using DistributedAttention.Core.IO;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Diagnostics;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Messaging;

/// <summary>
/// <see cref="IRingTransport"/> over shard grains: a send encodes the tensor into
/// <see cref="RingMessage"/> pieces (<see cref="TensorChunkCodec.EncodeFlat"/>) and delivers them to
/// the peer's grain; a receive waits on this shard's <see cref="ShardMailbox"/> and decodes on the
/// shard's compute executor (the encode runs where the caller calls, which the ring code keeps on
/// that executor too). Tags are prefixed with
/// the run's prefix (e.g. "a3/L2/"), so runs never mix, and the bytes put on the wire are
/// counted per collective of the unprefixed tag.
/// </summary>
public sealed class OrleansRingTransport : IRingTransport
{
    /// <summary>Chunks of one send in flight at a time: enough to overlap, few enough to bound memory.</summary>
    public const int MaxInFlight = 4;

    private readonly string tagPrefix;
    private readonly Func<int, RingMessage, Task> deliver;
    private readonly ShardMailbox mailbox;
    private readonly IComputeExecutor executor;
    private readonly WireDType wire;
    private readonly int chunkBytes;

    /// <summary>Creates the transport of shard <paramref name="shard"/>, delivering to the peers' <see cref="IShardRing.DeliverAsync"/>.</summary>
    /// <param name="layout">The ring.</param>
    /// <param name="shard">This shard.</param>
    /// <param name="tagPrefix">Prefix of every tag of this run ("a3/L2/").</param>
    /// <param name="peer">The grain of a shard.</param>
    /// <param name="mailbox">This shard's mailbox, fed by its <see cref="IShardRing.DeliverAsync"/>.</param>
    /// <param name="executor">The shard's compute executor: received tensors are decoded there.</param>
    /// <param name="wire">Element type on the wire.</param>
    /// <param name="chunkBytes">Largest payload per message.</param>
    public OrleansRingTransport(ShardLayout layout, int shard, string tagPrefix, Func<int, IShardRing> peer, ShardMailbox mailbox, IComputeExecutor executor, WireDType wire, int chunkBytes)
        : this(layout, shard, tagPrefix, ToDeliver(peer), mailbox, executor, wire, chunkBytes)
    {
    }

    /// <summary>Creates the transport with any delivery function (e.g. another grain interface's DeliverAsync).</summary>
    /// <param name="layout">The ring.</param>
    /// <param name="shard">This shard.</param>
    /// <param name="tagPrefix">Prefix of every tag of this run ("a3/L2/").</param>
    /// <param name="deliver">Delivers one message to a shard.</param>
    /// <param name="mailbox">This shard's mailbox.</param>
    /// <param name="executor">The shard's compute executor: received tensors are decoded there.</param>
    /// <param name="wire">Element type on the wire.</param>
    /// <param name="chunkBytes">Largest payload per message.</param>
    public OrleansRingTransport(ShardLayout layout, int shard, string tagPrefix, Func<int, RingMessage, Task> deliver, ShardMailbox mailbox, IComputeExecutor executor, WireDType wire, int chunkBytes)
    {
        Layout = layout ?? throw new ArgumentNullException(nameof(layout));
        RingTags.CheckPeer(layout, shard);
        Shard = shard;
        this.tagPrefix = tagPrefix ?? throw new ArgumentNullException(nameof(tagPrefix));
        this.deliver = deliver ?? throw new ArgumentNullException(nameof(deliver));
        this.mailbox = mailbox ?? throw new ArgumentNullException(nameof(mailbox));
        this.executor = executor ?? throw new ArgumentNullException(nameof(executor));
        if (!Enum.IsDefined(wire)) throw new ArgumentOutOfRangeException(nameof(wire), wire, "unknown wire element type.");
        if (chunkBytes < TensorChunkRules.ElementSize(TensorChunkRules.Of(wire))) throw new ArgumentOutOfRangeException(nameof(chunkBytes), chunkBytes, "a chunk must hold at least one element.");
        this.wire = wire;
        this.chunkBytes = chunkBytes;
    }

    /// <inheritdoc />
    public int Shard { get; }

    /// <inheritdoc />
    public ShardLayout Layout { get; }

    /// <summary>Payload bytes sent so far, by collective (the unprefixed tag's first segment).</summary>
    public TrafficCounter Traffic { get; } = new();

    /// <summary>Time spent in sends and receives so far: waiting for peers, and moving data.</summary>
    public HopClock Clock { get; } = new();

    /// <inheritdoc />
    public async Task SendAsync(int to, string tag, Tensor tensor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tag);
        ArgumentNullException.ThrowIfNull(tensor);
        RingTags.CheckPeer(Layout, to);
        cancellationToken.ThrowIfCancellationRequested();
        // Encoded (copied) before the first await: the caller may dispose the tensor once we return.
        // Integer tensors (indices, positions, counts) travel exactly, whatever the wire type of the numbers.
        var type = tensor.dtype is ScalarType.Int32 or ScalarType.Int64 ? ElementType.Int32 : TensorChunkRules.Of(wire);
        var pieces = TensorChunkCodec.EncodeFlat(tensor, "", type, chunkBytes);
        var fullTag = tagPrefix + tag;
        var shape = tensor.shape;
        var chunks = pieces.Select((piece, i) => new RingMessage(fullTag, Shard, i, pieces.Count, shape, piece));
        var collective = RingTags.Collective(tag);
        if (to == Shard)
        {
            foreach (var chunk in chunks) mailbox.Deliver(chunk);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        var span = Activity.Current;
        var inFlight = new List<Task>(MaxInFlight);
        foreach (var chunk in chunks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (inFlight.Count == MaxInFlight)
            {
                var done = await Task.WhenAny(inFlight).ConfigureAwait(false);
                inFlight.Remove(done);
                await done.ConfigureAwait(false);
            }
            inFlight.Add(SendOne(to, chunk, collective));
        }
        await Task.WhenAll(inFlight).ConfigureAwait(false);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var bytes = pieces.Sum(p => (long)p.Data.Length);
        Clock.AddTransfer(seconds);
        HopEvents.Sent(span, to, tag, bytes, seconds);
    }

    /// <inheritdoc />
    public async Task<Tensor> ReceiveAsync(int from, string tag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tag);
        RingTags.CheckPeer(Layout, from);
        var asked = Stopwatch.GetTimestamp();
        var span = Activity.Current;
        var received = await mailbox.ReceiveTimedAsync(from, tagPrefix + tag, executor, cancellationToken).ConfigureAwait(false);
        if (from == Shard) return received.Tensor;
        // Waiting: until the peer's first piece arrived; transfer: from then (or from asking) to its last piece.
        var wait = Math.Max(0, Stopwatch.GetElapsedTime(asked, received.FirstArrival).TotalSeconds);
        var transfer = Math.Max(0, Stopwatch.GetElapsedTime(Math.Max(asked, received.FirstArrival), received.Completed).TotalSeconds);
        Clock.AddWait(wait);
        Clock.AddTransfer(transfer);
        HopEvents.Received(span, from, tag, received.WireBytes, wait, transfer);
        return received.Tensor;
    }

    private async Task SendOne(int to, RingMessage chunk, string collective)
    {
        await deliver(to, chunk).ConfigureAwait(false);
        Traffic.Add(collective, chunk.Chunk.Data.Length);
        JobMetrics.BytesExchanged.Add(chunk.Chunk.Data.Length, new KeyValuePair<string, object?>(AttributeNames.Collective, collective));
    }

    private static Func<int, RingMessage, Task> ToDeliver(Func<int, IShardRing> peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return (to, message) => peer(to).DeliverAsync(message);
    }
}
