using DistributedAttention.Grains.Placement;
using DistributedAttention.Grains.Tests.TestGrains;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;
using Xunit.Abstractions;

namespace DistributedAttention.Grains.Tests;

public sealed class LocalClusterTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KilledSilosGrainsReactivateOnTheSurvivors()
    {
        await using var cluster = new LocalCluster(new LocalClusterOptions { ResponseTimeout = TimeSpan.FromSeconds(5) });
        await cluster.StartAsync(3);
        var client = cluster.Client;
        var grains = Enumerable.Range(0, 3).Select(s => client.GetGrain<IRingTestGrain>(ShardKey.Format("fault", s))).ToArray();
        var before = await Task.WhenAll(grains.Select(g => g.WhereAsync()));
        var silos = cluster.SiloAddresses.Select(a => a.ToString()).ToArray();
        Assert.Equal(silos.Order(), before.Select(p => p.Silo).Order());

        var killed = silos[2];
        var victim = Array.FindIndex(before, p => p.Silo == killed);
        var started = DateTime.UtcNow;
        await cluster.KillSiloAsync(2);
        Assert.False(cluster.IsRunning(2));

        // Calls fail until the survivors declare the silo dead; then the grain is placed again.
        RingTestPlacement? after = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (after is null)
        {
            try
            {
                after = await grains[victim].WhereAsync();
            }
            catch (Exception e) when (DateTime.UtcNow < deadline)
            {
                output.WriteLine($"{(DateTime.UtcNow - started).TotalSeconds:F1} s: {e.GetType().Name}");
                await Task.Delay(250);
            }
        }
        output.WriteLine($"grain {victim} answered again after {(DateTime.UtcNow - started).TotalSeconds:F1} s on {after.Silo}");
        Assert.NotEqual(killed, after.Silo);
        Assert.Contains(after.Silo, silos[..2]);
        Assert.NotEqual(before[victim].RuntimeIdentity, after.RuntimeIdentity);

        // The grains on the survivors kept their activations.
        for (var s = 0; s < 3; s++)
        {
            if (s == victim) continue;
            Assert.Equal(before[s], await grains[s].WhereAsync());
        }
        await cluster.WaitForMembershipAsync();
    }

    [Fact]
    public async Task GracefullyStoppedSiloLeavesTheCluster()
    {
        await using var cluster = new LocalCluster();
        await cluster.StartAsync(2, ["cpu,cpu"]);
        var grain = cluster.Client.GetGrain<IRingTestGrain>(ShardKey.Format("stop", 0));
        await grain.WhereAsync();
        await cluster.StopSiloAsync(1);
        await cluster.WaitForMembershipAsync();
        var after = await grain.WhereAsync();
        Assert.Equal(cluster.SiloAddresses[0].ToString(), after.Silo);
    }

    [Fact]
    public async Task DeviceListsMustMatchTheSiloCount()
    {
        await using var cluster = new LocalCluster();
        await Assert.ThrowsAsync<ArgumentException>(() => cluster.StartAsync(3, ["cpu", "cpu"]));
    }
}
