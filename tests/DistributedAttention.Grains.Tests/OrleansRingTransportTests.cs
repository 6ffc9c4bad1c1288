using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Distributed;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Grains.Messaging;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Tests;

/// <summary>The transport between mailboxes in one process; the cluster tests cover real grains.</summary>
public sealed class OrleansRingTransportTests
{
    public OrleansRingTransportTests() => TorchRuntime.EnsureLoaded();

    private static (OrleansRingTransport[] Transports, ShardMailbox[] Mailboxes, List<RingMessage> Sent) Ring(int shards, WireDType wire, int chunkBytes)
    {
        var layout = ShardLayout.Even(shards * 10, shards);
        var mailboxes = Enumerable.Range(0, shards).Select(_ => new ShardMailbox()).ToArray();
        var sent = new List<RingMessage>();
        Task Deliver(int to, RingMessage m)
        {
            lock (sent) sent.Add(m);
            // Deliver from another thread, as a grain call would.
            return Task.Run(() => mailboxes[to].Deliver(m));
        }
        var transports = Enumerable.Range(0, shards).Select(s => new OrleansRingTransport(layout, s, "a1/L0/", Deliver, mailboxes[s], InlineExecutor.Instance, wire, chunkBytes)).ToArray();
        return (transports, mailboxes, sent);
    }

    [Fact]
    public async Task SendsArriveEqualAndBytesAreCountedPerCollective()
    {
        var (t, _, sent) = Ring(3, WireDType.Float32, 64);
        using var x = randn(4, 10);
        using var g = randn(2, 3);
        await t[0].SendAsync(1, "halo/right", x, CancellationToken.None);
        await t[0].SendAsync(2, "allgather/0", g, CancellationToken.None);
        await t[0].SendAsync(2, "halo/left", g, CancellationToken.None);
        using var y = await t[1].ReceiveAsync(0, "halo/right", CancellationToken.None);
        using var h = await t[2].ReceiveAsync(0, "allgather/0", CancellationToken.None);
        Assert.True(TensorAssert.Same(x, y));
        Assert.True(TensorAssert.Same(g, h));
        Assert.Equal(new Dictionary<string, long> { ["halo"] = 160 + 24, ["allgather"] = 24 }, t[0].Traffic.Snapshot());
        Assert.Empty(t[1].Traffic.Snapshot());
        // Tags carry the run prefix on the wire; 160 bytes in 64-byte chunks is 3 messages.
        Assert.All(sent, m => Assert.StartsWith("a1/L0/", m.Tag, StringComparison.Ordinal));
        Assert.Equal(3, sent.Count(m => m.Tag == "a1/L0/halo/right"));
    }

    [Fact]
    public async Task HalfPrecisionHalvesTheBytes()
    {
        var (t, _, _) = Ring(2, WireDType.BFloat16, 1 << 20);
        using var x = randn(8, 16);
        await t[1].SendAsync(0, "rotate/1", x, CancellationToken.None);
        using var y = await t[0].ReceiveAsync(1, "rotate/1", CancellationToken.None);
        Assert.Equal(8 * 16 * 2, t[1].Traffic["rotate"]);
        Assert.True(y.allclose(x, rtol: 8e-3, atol: 1e-6));
    }

    [Fact]
    public async Task TheCallerMayDisposeTheTensorRightAfterSending()
    {
        var (t, _, _) = Ring(2, WireDType.Float32, 16);
        var x = arange(100, dtype: ScalarType.Float32);
        var send = t[0].SendAsync(1, "halo/x", x, CancellationToken.None);
        x.Dispose();
        await send;
        using var y = await t[1].ReceiveAsync(0, "halo/x", CancellationToken.None);
        using var expected = arange(100, dtype: ScalarType.Float32);
        Assert.True(TensorAssert.Same(y, expected));
    }

    [Fact]
    public async Task BadPeersAreRejected()
    {
        var (t, _, _) = Ring(2, WireDType.Float32, 16);
        using var x = ones(2);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => t[0].SendAsync(2, "halo", x, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => t[0].ReceiveAsync(-1, "halo", CancellationToken.None));
    }

    [Fact]
    public async Task FailedDeliveryFailsTheSend()
    {
        var layout = ShardLayout.Even(4, 2);
        var transport = new OrleansRingTransport(layout, 0, "p/", (_, _) => Task.FromException(new InvalidOperationException("peer is gone")), new ShardMailbox(), InlineExecutor.Instance, WireDType.Float32, 4);
        using var x = ones(10);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => transport.SendAsync(1, "halo", x, CancellationToken.None));
        Assert.Equal("peer is gone", e.Message);
    }
}
