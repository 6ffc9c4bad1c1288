using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace DistributedAttention.Silo;

/// <summary>Wires a client of a DistributedAttention cluster.</summary>
public static class ClientBuilderExtensions
{
    /// <summary>Configures gateways (localhost ports or Redis), message limits, timeouts and activity propagation.</summary>
    /// <exception cref="ArgumentException">The settings are invalid.</exception>
    public static IClientBuilder AddDistributedAttentionClient(this IClientBuilder builder, ClientSettings settings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        if (settings.Clustering == ClusteringMode.Localhost)
        {
            builder.UseLocalhostClustering([.. settings.GatewayPorts], settings.ServiceId, settings.ClusterId);
        }
        else
        {
            builder.UseRedisClustering(settings.RedisConnectionString!);
            builder.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = settings.ClusterId;
                o.ServiceId = settings.ServiceId;
            });
        }
        builder.Configure<ClientMessagingOptions>(o =>
        {
            o.MaxMessageBodySize = settings.MaxMessageBodyBytes;
            o.ResponseTimeout = settings.ResponseTimeout;
        });
        builder.AddActivityPropagation();
        return builder;
    }

    /// <summary>Adds a DistributedAttention client to a host (a convenience for <c>UseOrleansClient</c>).</summary>
    public static IHostApplicationBuilder AddDistributedAttentionClient(this IHostApplicationBuilder host, ClientSettings settings, Action<IClientBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        host.UseOrleansClient(client =>
        {
            client.AddDistributedAttentionClient(settings);
            configure?.Invoke(client);
        });
        return host;
    }
}
