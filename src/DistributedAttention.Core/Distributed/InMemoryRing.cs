using System.Collections.Concurrent;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Distributed;

/// <summary>
/// A ring of shards inside one process: messages are tensor copies handed over through
/// per-(from, to, tag) slots. Used by tests and by single-process runs of the distributed
/// algorithm; it counts bytes per collective like the cluster transport does.
/// </summary>
public sealed class InMemoryRing
{
    private readonly ConcurrentDictionary<(int From, int To, string Tag), TaskCompletionSource<Tensor>> slots = new();
    private readonly ConcurrentDictionary<string, long> bytes = new();

    /// <summary>Creates a ring over <paramref name="layout"/>.</summary>
    public InMemoryRing(ShardLayout layout)
    {
        Layout = layout ?? throw new ArgumentNullException(nameof(layout));
    }

    /// <summary>The layout of the ring.</summary>
    public ShardLayout Layout { get; }

    /// <summary>Bytes sent so far, by collective (the tag's first segment).</summary>
    public IReadOnlyDictionary<string, long> BytesByCollective => bytes;

    /// <summary>The transport endpoint of shard <paramref name="shard"/>.</summary>
    public IRingTransport Endpoint(int shard)
    {
        if (shard < 0 || shard >= Layout.Count) throw new ArgumentOutOfRangeException(nameof(shard), shard, $"shard must be in [0, {Layout.Count}).");
        return new Link(this, shard);
    }

    private TaskCompletionSource<Tensor> Slot(int from, int to, string tag) =>
        slots.GetOrAdd((from, to, tag), _ => new TaskCompletionSource<Tensor>(TaskCreationOptions.RunContinuationsAsynchronously));

    private sealed class Link(InMemoryRing ring, int shard) : IRingTransport
    {
        public int Shard => shard;

        public ShardLayout Layout => ring.Layout;

        public Task SendAsync(int to, string tag, Tensor tensor, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            RingTags.CheckPeer(Layout, to);
            var copy = tensor.detach().cpu().contiguous().clone();
            ring.bytes.AddOrUpdate(RingTags.Collective(tag), copy.NumberOfElements * copy.ElementSize, (_, b) => b + copy.NumberOfElements * copy.ElementSize);
            if (!ring.Slot(shard, to, tag).TrySetResult(copy))
            {
                copy.Dispose();
                throw new InvalidOperationException($"shard {shard} sent tag '{tag}' to shard {to} twice.");
            }
            return Task.CompletedTask;
        }

        public async Task<Tensor> ReceiveAsync(int from, string tag, CancellationToken cancellationToken)
        {
            RingTags.CheckPeer(Layout, from);
            var slot = ring.Slot(from, shard, tag);
            var tensor = await slot.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            ring.slots.TryRemove((from, shard, tag), out _);
            return tensor;
        }
    }
}
