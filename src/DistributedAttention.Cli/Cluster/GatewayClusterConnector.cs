using System.Net;
using System.Net.Sockets;
using DistributedAttention.Client;
using DistributedAttention.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace DistributedAttention.Cli.Cluster;

/// <summary>Connects an Orleans client to a running cluster through one gateway (static clustering), wired as <c>AddDistributedAttentionClient</c> wires it.</summary>
public sealed class GatewayClusterConnector : IClusterConnector
{
    private readonly TimeSpan timeout;

    /// <summary>A connector that gives up after <paramref name="timeout"/> (default 30 s).</summary>
    public GatewayClusterConnector(TimeSpan? timeout = null)
    {
        this.timeout = timeout ?? TimeSpan.FromSeconds(30);
    }

    /// <inheritdoc />
    public async Task<ClusterConnection> ConnectAsync(ClusterChoice choice, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await ConnectOnceAsync(choice, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ClusterUnavailableException($"cannot connect to {choice} (cluster id '{choice.ClusterId}'): no answer within {timeout.TotalSeconds:F0} s; is a silo's gateway listening there?");
        }
    }

    private static async Task<ClusterConnection> ConnectOnceAsync(ClusterChoice choice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(choice);
        if (choice.Gateway is null && choice.Redis is null) throw new ArgumentException("no gateway given; use the embedded connector.", nameof(choice));
        var endpoint = choice.Gateway is { } gateway ? await ResolveAsync(gateway, cancellationToken).ConfigureAwait(false) : null;
        // Fail in seconds when nothing listens, rather than after the client's whole timeout.
        if (endpoint is not null) await TcpProbe.RequireListeningAsync(endpoint, $"{choice} (is a silo's gateway running there?)", cancellationToken).ConfigureAwait(false);
        else if (choice.Redis is { } redis)
        {
            foreach (var server in StackExchange.Redis.ConfigurationOptions.Parse(redis).EndPoints)
                await TcpProbe.RequireListeningAsync(server, $"the Redis at {(server is DnsEndPoint named ? $"{named.Host}:{named.Port}" : server.ToString())} (is it running?)", cancellationToken).ConfigureAwait(false);
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        // Orleans logs to the console by default; the CLI owns the console.
        builder.Logging.ClearProviders();
        // The client wiring every client uses (cluster and service id, message-size limit, timeouts),
        // through the one gateway given (static clustering, any host) or the gateways listed in Redis.
        builder.Configuration.AddEnvironmentVariables();
        void Settings(DistributedAttentionClientOptions o)
        {
            o.ClusterId = choice.ClusterId;
            o.ServiceId = choice.ServiceId;
            if (choice.Redis is { } redis)
            {
                o.Clustering = ClusteringMode.Redis;
                o.RedisConnectionString = redis;
            }
            else
            {
                o.Clustering = ClusteringMode.Localhost;
                o.Gateways = [endpoint!.ToString()];
            }
        }
        builder.AddDistributedAttentionClient(Settings);
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            var client = host.Services.GetRequiredService<IClusterClient>();
            var silos = await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(cancellationToken).ConfigureAwait(false);
            return new ClusterConnection(client, Math.Max(1, silos.Count), choice.ToString(), async () =>
            {
                await host.StopAsync().ConfigureAwait(false);
                host.Dispose();
            })
            { ClientSettings = Settings };
        }
        catch (Exception e)
        {
            host.Dispose();
            if (e is OperationCanceledException or ClusterUnavailableException) throw;
            // Orleans reports a start cut short by the token as its own lifecycle exception: it is the timeout.
            if (cancellationToken.IsCancellationRequested) throw new OperationCanceledException(e.Message, e, cancellationToken);
            throw new ClusterUnavailableException($"cannot connect to {choice} (cluster id '{choice.ClusterId}'): {e.Message}", e);
        }
    }

    private static async Task<IPEndPoint> ResolveAsync(DnsEndPoint gateway, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(gateway.Host, out var address)) return new IPEndPoint(address, gateway.Port);
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(gateway.Host, cancellationToken).ConfigureAwait(false);
            var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
            return chosen is null
                ? throw new ClusterUnavailableException($"the gateway host '{gateway.Host}' has no address.")
                : new IPEndPoint(chosen, gateway.Port);
        }
        catch (SocketException e)
        {
            throw new ClusterUnavailableException($"cannot resolve the gateway host '{gateway.Host}': {e.Message}", e);
        }
    }
}
