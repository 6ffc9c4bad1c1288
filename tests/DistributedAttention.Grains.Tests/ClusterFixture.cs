using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;

namespace DistributedAttention.Grains.Tests;

/// <summary>Three silos over localhost TCP with 1, 2 and 1 device slots, shared by a test class.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public static readonly string[] Devices = ["cpu", "cpu,cpu", "cpu"];

    public LocalCluster Cluster { get; } = new();

    public Task InitializeAsync() => Cluster.StartAsync(3, Devices);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
