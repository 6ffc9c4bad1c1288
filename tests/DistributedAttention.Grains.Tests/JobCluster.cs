using DistributedAttention.Client;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;

namespace DistributedAttention.Grains.Tests;

/// <summary>Three silos in this process, talking over localhost TCP, for whole jobs.</summary>
public sealed class JobCluster : IAsyncLifetime
{
    public LocalCluster Cluster { get; } = new();

    public JobClient Jobs => new(Cluster.Client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(20) });

    public Task InitializeAsync()
    {
        TorchRuntime.EnsureLoaded();
        return Cluster.StartAsync(3, ["cpu", "cpu", "cpu"]);
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
