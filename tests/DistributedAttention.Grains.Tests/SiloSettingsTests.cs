using DistributedAttention.Silo;

namespace DistributedAttention.Grains.Tests;

public sealed class SiloSettingsTests
{
    [Fact]
    public void DefaultsAreValid()
    {
        new SiloSettings().Validate();
        new ClientSettings().Validate();
    }

    [Fact]
    public void EveryProblemIsNamed()
    {
        var settings = new SiloSettings
        {
            ClusterId = "",
            Clustering = ClusteringMode.Redis,
            SiloPort = 0,
            GatewayPort = 0,
            AdvertisedAddress = "not-an-ip",
            Devices = ["gpu7"],
            ResponseTimeout = TimeSpan.Zero,
        };
        var e = Assert.Throws<ArgumentException>(settings.Validate);
        foreach (var name in new[] { "ClusterId", "RedisConnectionString", "SiloPort", "GatewayPort", "AdvertisedAddress", "gpu7", "ResponseTimeout" })
            Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PrimaryPortIsForLocalhostSecondaries()
    {
        var e = Assert.Throws<ArgumentException>(new SiloSettings { PrimarySiloPort = 11111 }.Validate);
        Assert.Contains("leave it null on the primary", e.Message, StringComparison.Ordinal);
        new SiloSettings { SiloPort = 11112, GatewayPort = 30001, PrimarySiloPort = 11111 }.Validate();
    }

    [Fact]
    public void ClientNeedsGatewaysOrRedis()
    {
        Assert.Throws<ArgumentException>(new ClientSettings { GatewayPorts = [] }.Validate);
        var e = Assert.Throws<ArgumentException>(new ClientSettings { Clustering = ClusteringMode.Redis }.Validate);
        Assert.Contains("RedisConnectionString", e.Message, StringComparison.Ordinal);
    }
}
