using System.Net;
using DistributedAttention.Grains.Placement;

namespace DistributedAttention.Grains.Tests;

public sealed class RingPlacementMapTests
{
    private static readonly SiloAddress A = SiloAddress.New(IPAddress.Loopback, 11111, 1);
    private static readonly SiloAddress B = SiloAddress.New(IPAddress.Loopback, 11112, 1);
    private static readonly SiloAddress C = SiloAddress.New(IPAddress.Loopback, 11113, 1);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void OneSlotPerSiloPlacesShardsRoundRobinInAddressOrder(int shards)
    {
        // Given in scrambled order: the map sorts by address.
        var silos = new[] { C, A, B };
        for (var s = 0; s < shards; s++)
        {
            var slot = RingPlacementMap.ForShard(s, silos, _ => ["cpu"]);
            Assert.Equal(new[] { A, B, C }[s % 3], slot.Silo);
            Assert.Equal(0, slot.Slot);
            Assert.Equal("cpu", slot.Device);
        }
    }

    [Fact]
    public void SlotsAreOrderedSlotMajor()
    {
        var devices = new Dictionary<SiloAddress, IReadOnlyList<string>>
        {
            [A] = ["cuda:0", "cuda:1"],
            [B] = ["cpu"],
            [C] = ["cuda:0", "cuda:1"],
        };
        var slots = RingPlacementMap.Slots([B, C, A], s => devices[s]);
        Assert.Equal(
            [new(A, 0, "cuda:0"), new(B, 0, "cpu"), new(C, 0, "cuda:0"), new(A, 1, "cuda:1"), new(C, 1, "cuda:1")],
            slots);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void ShardGoesToSlotShardModTotal(int shards)
    {
        var devices = new Dictionary<SiloAddress, IReadOnlyList<string>> { [A] = ["cpu", "cpu"], [B] = ["cpu", "cpu"] };
        var slots = RingPlacementMap.Slots([A, B], s => devices[s]);
        Assert.Equal(4, slots.Count);
        for (var s = 0; s < shards; s++) Assert.Equal(slots[s % 4], RingPlacementMap.ForShard(s, slots));
    }

    [Fact]
    public void ConsecutiveShardsLandOnDifferentSilosWhenThereAreSeveral()
    {
        var devices = new Dictionary<SiloAddress, IReadOnlyList<string>> { [A] = ["cpu", "cpu"], [B] = ["cpu"], [C] = ["cpu", "cpu"] };
        var slots = RingPlacementMap.Slots([A, B, C], s => devices[s]);
        for (var s = 0; s + 1 < 5; s++) Assert.NotEqual(RingPlacementMap.ForShard(s, slots).Silo, RingPlacementMap.ForShard(s + 1, slots).Silo);
    }

    [Fact]
    public void EmptyDeviceListCountsAsOneCpuSlotAndDuplicatesAreIgnored()
    {
        var slots = RingPlacementMap.Slots([A, A, B], _ => []);
        Assert.Equal([new(A, 0, "cpu"), new(B, 0, "cpu")], slots);
    }

    [Fact]
    public void NoSilosOrNegativeShardIsAnError()
    {
        Assert.Throws<ArgumentException>(() => RingPlacementMap.Slots([], _ => ["cpu"]));
        Assert.Throws<ArgumentOutOfRangeException>(() => RingPlacementMap.ForShard(-1, [A], _ => ["cpu"]));
    }

    [Theory]
    [InlineData("job/3", "job", 3)]
    [InlineData("a/b/12", "a/b", 12)]
    public void ShardKeysRoundTrip(string key, string job, int shard)
    {
        Assert.Equal((job, shard), ShardKey.Parse(key));
        Assert.Equal(key, ShardKey.Format(job, shard));
    }

    [Theory]
    [InlineData("job")]
    [InlineData("job/")]
    [InlineData("/3")]
    [InlineData("job/-1")]
    [InlineData("job/x")]
    public void BadShardKeysAreRejectedClearly(string key)
    {
        var e = Assert.Throws<ArgumentException>(() => ShardKey.Parse(key));
        Assert.Contains("jobId/shard", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeviceListsParseAndNormalize()
    {
        Assert.Equal(["cpu"], SiloDevices.Parse(null));
        Assert.Equal(["cpu", "cuda:0", "cuda:1"], SiloDevices.Parse(" CPU, cuda ,cuda:1"));
        Assert.Equal("cpu,cuda:0", SiloDevices.Format(["cpu", "CUDA"]));
    }
}
