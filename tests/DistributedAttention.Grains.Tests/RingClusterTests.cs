using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Grains.Placement;
using DistributedAttention.Grains.Tests.TestGrains;

namespace DistributedAttention.Grains.Tests;

/// <summary>Placement and tensor exchange between grains on different silos of a real 3-silo cluster.</summary>
public sealed class RingClusterTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private IRingTestGrain Shard(string job, int s) => fixture.Cluster.Client.GetGrain<IRingTestGrain>(ShardKey.Format(job, s));

    private IReadOnlyList<RingSlot> ExpectedSlots()
    {
        var cluster = fixture.Cluster;
        var devices = Enumerable.Range(0, 3).ToDictionary(i => cluster.SiloAddresses[i], i => SiloDevices.Parse(ClusterFixture.Devices[i]));
        return RingPlacementMap.Slots(cluster.SiloAddresses, s => devices[s]);
    }

    private static TestTensor Values(long[] shape, float offset)
    {
        var n = (int)shape.Aggregate(1L, (a, b) => a * b);
        return new TestTensor(shape, Enumerable.Range(0, n).Select(i => offset + i * 0.25f - 7f).ToArray());
    }

    [Fact]
    public async Task ShardsArePlacedOnSilosInSlotMajorRingOrder()
    {
        var slots = ExpectedSlots();
        Assert.Equal(4, slots.Count);
        var placed = await Task.WhenAll(Enumerable.Range(0, 7).Select(s => Shard("placement", s).WhereAsync()));
        for (var s = 0; s < 7; s++)
        {
            var expected = slots[s % 4];
            Assert.Equal(expected.Silo.ToString(), placed[s].Silo);
            Assert.Equal(expected.Slot, placed[s].Slot);
            Assert.Equal("cpu", placed[s].Device);
        }
        // Slot-major: the first three shards on three different silos; shard 3 takes the second slot of the two-slot silo (silo 1).
        Assert.Equal(3, placed.Take(3).Select(p => p.Silo).Distinct().Count());
        Assert.Equal(fixture.Cluster.SiloAddresses[1].ToString(), placed[3].Silo);
        Assert.Equal(1, placed[3].Slot);
        // Shard s + 4 wraps around to shard s's slot.
        for (var s = 0; s < 3; s++) Assert.Equal((placed[s].Silo, placed[s].Slot), (placed[s + 4].Silo, placed[s + 4].Slot));
    }

    [Fact]
    public async Task TensorsCrossSilosInManyChunksAndArriveEqual()
    {
        TorchRuntime.EnsureLoaded();
        const int shards = 3;
        await Task.WhenAll(Enumerable.Range(0, shards).Select(s => Shard("exchange", s).InitAsync(shards, WireDType.Float32, 256)));
        var where = await Task.WhenAll(Enumerable.Range(0, shards).Select(s => Shard("exchange", s).WhereAsync()));
        Assert.Equal(shards, where.Select(w => w.Silo).Distinct().Count());

        // Shard 1 waits before shard 0 sends; shard 2's tensor is sent before it asks.
        var x = Values([2, 3, 5, 7], 1f);
        var g = Values([4, 8], 2f);
        var early = Shard("exchange", 1).ReceiveAsync(0, "halo/right");
        await Shard("exchange", 0).SendToAsync(1, "halo/right", x);
        await Shard("exchange", 0).SendToAsync(2, "allgather/0", g);
        await Shard("exchange", 0).SendToAsync(2, "halo/left", g);
        var y = await early;
        var h = await Shard("exchange", 2).ReceiveAsync(0, "allgather/0");
        var h2 = await Shard("exchange", 2).ReceiveAsync(0, "halo/left");

        Assert.Equal(x.Shape, y.Shape);
        Assert.Equal(x.Values, y.Values);
        Assert.Equal(g.Values, h.Values);
        Assert.Equal(g.Values, h2.Values);
        // 840 bytes in 256-byte chunks is 4 messages; 128 bytes twice.
        var traffic = await Shard("exchange", 0).TrafficAsync();
        Assert.Equal(new Dictionary<string, long> { ["halo"] = 840 + 128, ["allgather"] = 128 }, traffic);
        Assert.Empty(await Shard("exchange", 1).TrafficAsync());
    }

    [Fact]
    public async Task EveryShardPassesToItsRightNeighbourInFp16()
    {
        const int shards = 7;
        await Task.WhenAll(Enumerable.Range(0, shards).Select(s => Shard("ring", s).InitAsync(shards, WireDType.Float16, 64)));
        var sent = Enumerable.Range(0, shards).Select(s => Values([3, 16], s)).ToArray();
        var receives = Enumerable.Range(0, shards).Select(s => Shard("ring", s).ReceiveAsync((s + shards - 1) % shards, "rotate/0")).ToArray();
        await Task.WhenAll(Enumerable.Range(0, shards).Select(s => Shard("ring", s).SendToAsync((s + 1) % shards, "rotate/0", sent[s])));
        var got = await Task.WhenAll(receives);
        for (var s = 0; s < shards; s++)
        {
            var from = sent[(s + shards - 1) % shards];
            Assert.Equal(from.Shape, got[s].Shape);
            // These values (multiples of 0.25 below 20) are exact in fp16.
            Assert.Equal(from.Values, got[s].Values);
            Assert.Equal(3 * 16 * 2, (await Shard("ring", s).TrafficAsync())["rotate"]);
        }
    }

    [Fact]
    public async Task AGrainKeyWithoutAShardIndexFailsClearly()
    {
        var grain = fixture.Cluster.Client.GetGrain<IRingTestGrain>("no-shard-index");
        var e = await Assert.ThrowsAnyAsync<Exception>(() => grain.WhereAsync());
        Assert.Contains("jobId/shard", e.ToString(), StringComparison.Ordinal);
    }
}
