using System.Net;
using System.Net.Sockets;
using DistributedAttention.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace DistributedAttention.Silo;

/// <summary>Wires a silo for DistributedAttention.</summary>
public static class SiloBuilderExtensions
{
    /// <summary>
    /// Configures clustering, endpoints, message limits and timeouts, failure detection, the
    /// device slots (published as silo metadata), ring placement and activity propagation.
    /// </summary>
    /// <exception cref="ArgumentException">The settings are invalid.</exception>
    public static ISiloBuilder AddDistributedAttention(this ISiloBuilder builder, SiloSettings settings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();

        if (settings.Clustering == ClusteringMode.Localhost)
        {
            var primary = settings.PrimarySiloPort is { } port ? new IPEndPoint(IPAddress.Loopback, port) : null;
            builder.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, primary, settings.ServiceId, settings.ClusterId);
            if (settings.AdvertisedAddress is { } address)
                builder.ConfigureEndpoints(IPAddress.Parse(address), settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: true);
            builder.Configure<ClusterMembershipOptions>(FastFailureDetection.Apply);
        }
        else
        {
            builder.UseRedisClustering(settings.RedisConnectionString!);
            builder.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = settings.ClusterId;
                o.ServiceId = settings.ServiceId;
            });
            if (settings.AdvertisedAddress is { } address)
                builder.ConfigureEndpoints(IPAddress.Parse(address), settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: true);
            else
                builder.ConfigureEndpoints(settings.SiloPort, settings.GatewayPort, AddressFamily.InterNetwork, listenOnAnyHostAddress: true);
        }

        builder.Configure<SiloMessagingOptions>(o =>
        {
            o.MaxMessageBodySize = settings.MaxMessageBodyBytes;
            o.ResponseTimeout = settings.ResponseTimeout;
        });
        builder.AddDistributedAttentionGrains(settings.Devices);
        // The default directory is eventually consistent: when a silo dies, grains whose directory
        // entries it held can be activated a second time, empty. A job's coordinator and shards
        // must stay single, so use the strongly consistent in-cluster directory.
#pragma warning disable ORLEANSEXP003 // Experimental in Orleans 10; chosen deliberately (see docs/architecture.md).
        builder.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
        builder.AddActivityPropagation();
        return builder;
    }

    /// <summary>Adds a DistributedAttention silo to a host (a convenience for <c>UseOrleans</c>).</summary>
    public static IHostApplicationBuilder AddDistributedAttentionSilo(this IHostApplicationBuilder host, SiloSettings settings, Action<ISiloBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        host.UseOrleans(silo =>
        {
            silo.AddDistributedAttention(settings);
            configure?.Invoke(silo);
        });
        return host;
    }
}
