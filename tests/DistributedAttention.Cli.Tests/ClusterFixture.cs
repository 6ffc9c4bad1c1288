using DistributedAttention.Core.Runtime;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;

namespace DistributedAttention.Cli.Tests;

/// <summary>
/// One real cluster for the CLI and client tests: three silos in this process, one "cpu" slot
/// each, over localhost TCP, with a <see cref="ClusterProbe"/> on every silo. Started once for
/// the whole collection; its tests run one after another.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const int Silos = 3;

    public LocalCluster Cluster { get; } = new();

    public ClusterProbe Probe { get; } = new();

    public IClusterClient Client => Cluster.Client;

    public Task InitializeAsync()
    {
        TorchRuntime.EnsureLoaded();
        return Cluster.StartAsync(Silos, ["cpu"], silo => silo.AddIncomingGrainCallFilter(Probe));
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>The tests that share <see cref="ClusterFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
