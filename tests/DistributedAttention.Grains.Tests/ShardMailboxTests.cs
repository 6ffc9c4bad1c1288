using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.IO;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Grains.Messaging;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Tests;

public sealed class ShardMailboxTests
{
    public ShardMailboxTests() => TorchRuntime.EnsureLoaded();

    private static IReadOnlyList<RingMessage> Chunks(string tag, int from, int n = 12, int chunkBytes = 16)
    {
        using var x = arange(n, dtype: ScalarType.Float32).reshape(3, n / 3);
        var pieces = TensorChunkCodec.EncodeFlat(x, "", ElementType.Float32, chunkBytes);
        return [.. pieces.Select((p, i) => new RingMessage(tag, from, i, pieces.Count, x.shape, p))];
    }

    private static void AssertArange(Tensor t, int n = 12)
    {
        using var expected = arange(n, dtype: ScalarType.Float32).reshape(3, n / 3);
        Assert.True(TensorAssert.Same(t, expected));
    }

    [Fact]
    public async Task ReceiveAfterOutOfOrderDelivery()
    {
        var mailbox = new ShardMailbox();
        var chunks = Chunks("halo/1", 2);
        Assert.Equal(3, chunks.Count);
        foreach (var i in new[] { 2, 0, 1 }) mailbox.Deliver(chunks[i]);
        using var t = await mailbox.ReceiveAsync(2, "halo/1");
        AssertArange(t);
        Assert.Equal(0, mailbox.Pending);
    }

    [Fact]
    public async Task ReceivedTensorsAreDecodedOnTheGivenComputeThread()
    {
        using var worker = new DeviceWorker("shard 0");
        static long CreatedHere() => TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.CreatedInScopeCount + TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.CreatedOutsideScopeCount;
        var mailbox = new ShardMailbox();
        var before = await worker.RunAsync(CreatedHere);
        var receive = mailbox.ReceiveTimedAsync(1, "halo/1", worker);
        foreach (var chunk in Chunks("halo/1", 1)) mailbox.Deliver(chunk);
        using var t = (await receive).Tensor;
        AssertArange(t);
        Assert.True(await worker.RunAsync(CreatedHere) > before);
    }

    [Fact]
    public async Task ReceiveBeforeDeliveryCompletesWhenTheLastChunkArrives()
    {
        var mailbox = new ShardMailbox();
        var chunks = Chunks("halo/1", 0);
        var receive = mailbox.ReceiveAsync(0, "halo/1");
        mailbox.Deliver(chunks[1]);
        mailbox.Deliver(chunks[2]);
        Assert.False(receive.IsCompleted);
        mailbox.Deliver(chunks[0]);
        using var t = await receive;
        AssertArange(t);
    }

    [Fact]
    public async Task SendersAndTagsAreKeptApart()
    {
        var mailbox = new ShardMailbox();
        foreach (var c in Chunks("x", 1)) mailbox.Deliver(c);
        foreach (var c in Chunks("x", 2, 6, 8)) mailbox.Deliver(c);
        foreach (var c in Chunks("y", 1, 9)) mailbox.Deliver(c);
        using var a = await mailbox.ReceiveAsync(2, "x");
        using var b = await mailbox.ReceiveAsync(1, "y");
        using var c1 = await mailbox.ReceiveAsync(1, "x");
        AssertArange(a, 6);
        AssertArange(b, 9);
        AssertArange(c1, 12);
    }

    [Fact]
    public async Task DuplicateDeliveryIsAnError()
    {
        var mailbox = new ShardMailbox();
        var chunks = Chunks("t", 0);
        foreach (var c in chunks) mailbox.Deliver(c);
        Assert.Throws<InvalidOperationException>(() => mailbox.Deliver(chunks[0]));
        using var t = await mailbox.ReceiveAsync(0, "t");
        // Also after the tensor was received.
        Assert.Throws<InvalidOperationException>(() => mailbox.Deliver(chunks[1]));
        await Assert.ThrowsAsync<InvalidOperationException>(() => mailbox.ReceiveAsync(0, "t"));
    }

    [Fact]
    public async Task TwoReceiversOfOneTagAreAnError()
    {
        var mailbox = new ShardMailbox();
        var first = mailbox.ReceiveAsync(0, "t");
        await Assert.ThrowsAsync<InvalidOperationException>(() => mailbox.ReceiveAsync(0, "t"));
        foreach (var c in Chunks("t", 0)) mailbox.Deliver(c);
        using var t = await first;
    }

    [Fact]
    public async Task AbortFaultsWaitersDropsBufferedAndLaterChunks()
    {
        var mailbox = new ShardMailbox();
        var waiting = mailbox.ReceiveAsync(1, "a1/L0/halo");
        var other = mailbox.ReceiveAsync(1, "a2/L0/halo");
        mailbox.Deliver(Chunks("a1/L0/rotate", 1)[0]);
        var reason = new InvalidOperationException("shard 3 was lost");

        mailbox.Abort("a1/", reason);

        var e = await Assert.ThrowsAsync<RingAbortedException>(() => waiting);
        Assert.Same(reason, e.InnerException);
        Assert.False(other.IsCompleted);
        Assert.Equal(1, mailbox.Pending);
        foreach (var c in Chunks("a1/L0/halo", 1)) mailbox.Deliver(c);
        Assert.Equal(1, mailbox.Pending);
        await Assert.ThrowsAsync<RingAbortedException>(() => mailbox.ReceiveAsync(1, "a1/L0/halo"));

        foreach (var c in Chunks("a2/L0/halo", 1)) mailbox.Deliver(c);
        using var t = await other;
        AssertArange(t);
    }

    [Fact]
    public async Task CancelledReceiveLeavesTheTagForTheNextReceive()
    {
        var mailbox = new ShardMailbox();
        using var cts = new CancellationTokenSource();
        var receive = mailbox.ReceiveAsync(0, "t", cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receive);
        Assert.Equal(0, mailbox.Pending);

        foreach (var c in Chunks("t", 0)) mailbox.Deliver(c);
        using var t = await mailbox.ReceiveAsync(0, "t");
        AssertArange(t);
    }

    [Fact]
    public async Task ConcurrentDeliveriesFromManyThreadsAllArrive()
    {
        var mailbox = new ShardMailbox();
        var all = Enumerable.Range(0, 8).SelectMany(s => Chunks($"t{s}", s, 300, 40)).ToArray();
        var receives = Enumerable.Range(0, 8).Select(s => mailbox.ReceiveAsync(s, $"t{s}")).ToArray();
        await Parallel.ForEachAsync(all, (c, _) =>
        {
            mailbox.Deliver(c);
            return ValueTask.CompletedTask;
        });
        foreach (var r in receives)
        {
            using var t = await r;
            AssertArange(t, 300);
        }
    }
}
