using System.Net;
using DistributedAttention.Cli.Cluster;

namespace DistributedAttention.Cli.Tests;

/// <summary>The --cluster connector: a gateway that does not answer is a clear failure, not a hang.</summary>
public sealed class GatewayClusterConnectorTests
{
    [Fact]
    public async Task An_unreachable_gateway_fails_within_the_timeout_naming_the_endpoint()
    {
        var connector = new GatewayClusterConnector(TimeSpan.FromSeconds(2));
        var error = await Assert.ThrowsAsync<ClusterUnavailableException>(() =>
            connector.ConnectAsync(new ClusterChoice(new DnsEndPoint("127.0.0.1", 1), 1), default));
        Assert.Contains("127.0.0.1:1", error.Message);
    }
}
