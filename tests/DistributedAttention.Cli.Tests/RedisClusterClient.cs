using DistributedAttention.Client;
using DistributedAttention.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DistributedAttention.Cli.Tests;

/// <summary>The test as a client of silo processes clustered through Redis: it finds every gateway there, so losing one silo does not cut it off.</summary>
public sealed class RedisClusterClient : IDisposable
{
    private readonly IHost host;

    private RedisClusterClient(IHost host)
    {
        this.host = host;
    }

    /// <summary>The cluster client.</summary>
    public IClusterClient Client => host.Services.GetRequiredService<IClusterClient>();

    /// <summary>Starts a client of cluster <paramref name="clusterId"/> in <paramref name="redis"/> and waits (60 s at most) until <paramref name="silos"/> silos are active.</summary>
    public static async Task<RedisClusterClient> StartAsync(string redis, string clusterId, int silos)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.AddDistributedAttentionClient(o =>
        {
            o.Clustering = ClusteringMode.Redis;
            o.RedisConnectionString = redis;
            o.ClusterId = clusterId;
        });
        var client = new RedisClusterClient(builder.Build());
        try
        {
            await client.host.StartAsync();
            await client.WaitForActiveAsync(silos);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Waits (60 s at most) until exactly <paramref name="count"/> silos are active.</summary>
    public async Task WaitForActiveAsync(int count)
    {
        var management = Client.GetGrain<IManagementGrain>(0);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while ((await management.GetHosts(onlyActive: true)).Count != count) await Task.Delay(200, deadline.Token);
    }

    /// <summary>Leaves the cluster.</summary>
    public Task StopAsync() => host.StopAsync();

    /// <inheritdoc />
    public void Dispose()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            host.StopAsync(stop.Token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is OperationCanceledException or OrleansException)
        {
            // The cluster may be gone already; the host is disposed either way.
        }
        host.Dispose();
    }
}
