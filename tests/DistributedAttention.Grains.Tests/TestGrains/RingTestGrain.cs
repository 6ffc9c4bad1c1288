using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Distributed;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Grains.Messaging;
using DistributedAttention.Grains.Placement;
using Orleans.Concurrency;
using TorchSharp;

namespace DistributedAttention.Grains.Tests.TestGrains;

/// <summary>Ring-placed, reentrant, like a shard grain: receives wait while deliveries interleave.</summary>
[RingPlacement, Reentrant]
public sealed class RingTestGrain(SiloDeviceDirectory directory, ILocalSiloDetails local) : Grain, IRingTestGrain
{
    private readonly ShardMailbox mailbox = new();
    private OrleansRingTransport? transport;

    private (string Job, int Shard) Key => ShardKey.Parse(this.GetPrimaryKeyString());

    public Task InitAsync(int shards, WireDType wire, int chunkBytes)
    {
        var (job, shard) = Key;
        transport = new OrleansRingTransport(ShardLayout.Even(shards, shards), shard, "a0/", (to, m) => GrainFactory.GetGrain<IRingTestGrain>(ShardKey.Format(job, to)).DeliverAsync(m), mailbox, InlineExecutor.Instance, wire, chunkBytes);
        return Task.CompletedTask;
    }

    public async Task<RingTestPlacement> WhereAsync()
    {
        var slot = await directory.LocateAsync(Key.Shard);
        return new RingTestPlacement(local.SiloAddress.ToString(), slot.Slot, slot.Device, RuntimeIdentity);
    }

    public async Task SendToAsync(int to, string tag, TestTensor tensor)
    {
        TorchRuntime.EnsureLoaded();
        using var x = torch.tensor(tensor.Values).reshape(tensor.Shape);
        await Transport.SendAsync(to, tag, x, CancellationToken.None);
    }

    public async Task<TestTensor> ReceiveAsync(int from, string tag)
    {
        TorchRuntime.EnsureLoaded();
        using var y = await Transport.ReceiveAsync(from, tag, CancellationToken.None);
        return new TestTensor(y.shape, y.data<float>().ToArray());
    }

    public Task<Dictionary<string, long>> TrafficAsync() => Task.FromResult(Transport.Traffic.Snapshot());

    public Task DeliverAsync(RingMessage message)
    {
        mailbox.Deliver(message);
        return Task.CompletedTask;
    }

    private OrleansRingTransport Transport => transport ?? throw new InvalidOperationException("call InitAsync first.");
}
