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

    [Fact]
    public async Task A_port_where_nothing_listens_fails_in_seconds_with_the_default_timeout()
    {
        var port = DistributedAttention.Testing.Processes.FreePorts.Take(2);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ClusterUnavailableException>(() =>
            new GatewayClusterConnector().ConnectAsync(new ClusterChoice(new DnsEndPoint("127.0.0.1", port[0]), 1), default));
        Assert.Contains($"nothing listens there (connection refused) (127.0.0.1:{port[0]})", error.Message);
        Assert.Contains("is a silo's gateway running there?", error.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed.TotalSeconds:F1} s");

        var redis = await Assert.ThrowsAsync<ClusterUnavailableException>(() =>
            new GatewayClusterConnector().ConnectAsync(new ClusterChoice(null, 1) { Redis = $"127.0.0.1:{port[1]}" }, default));
        Assert.Contains($"cannot connect to the Redis at 127.0.0.1:{port[1]} (is it running?): nothing listens there", redis.Message);
    }

    [Fact]
    public async Task A_patient_connector_retries_naming_each_failure_then_gives_up_with_the_last()
    {
        var port = DistributedAttention.Testing.Processes.FreePorts.Take(1)[0];
        using var log = new StringWriter();
        var connector = new PatientClusterConnector(new GatewayClusterConnector(), TimeSpan.FromSeconds(3), log, pause: TimeSpan.FromMilliseconds(500));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ClusterUnavailableException>(() =>
            connector.ConnectAsync(new ClusterChoice(new DnsEndPoint("127.0.0.1", port), 1), default));
        Assert.Contains("nothing listens there", error.Message);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(20));
        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 2, log.ToString());
        Assert.StartsWith("waiting for the cluster (attempt 1, ", lines[0]);
        Assert.Contains($"127.0.0.1:{port}", lines[0]);
    }
}
