using System.Net;
using DistributedAttention.Hosting;

namespace DistributedAttention.Client;

/// <summary>
/// How a client reaches a DistributedAttention cluster; bound to the configuration section
/// <see cref="ClientHostingExtensions.ClientSection"/> (environment variables
/// <c>DistributedAttention__Client__ClusterId</c> and so on) and checked at start.
/// </summary>
public sealed class DistributedAttentionClientOptions
{
    /// <summary>The cluster's id (the silos' id).</summary>
    public string ClusterId { get; set; } = "distattn";

    /// <summary>The service's id (the silos' id).</summary>
    public string ServiceId { get; set; } = "distattn";

    /// <summary>How to find gateways: the <see cref="Gateways"/> listed here, or the silos' Redis membership table.</summary>
    public ClusteringMode Clustering { get; set; } = ClusteringMode.Localhost;

    /// <summary>Redis connection string; required for <see cref="ClusteringMode.Redis"/>.</summary>
    public string? RedisConnectionString { get; set; }

    /// <summary>Localhost (static) clustering: the gateways as "IP:PORT"; empty means one local silo's, 127.0.0.1:30000.</summary>
    public IList<string> Gateways { get; set; } = [];

    /// <summary>Largest message body in bytes (match the silos').</summary>
    public int MaxMessageBodyBytes { get; set; } = ClusterMessaging.DefaultMaxMessageBodyBytes;

    /// <summary>How long a grain call may take before it fails with a timeout (methods may override it).</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the client's start keeps trying to reach a gateway before it fails (Orleans alone
    /// would retry for minutes); each attempt to a host that does not answer takes up to 5 s more.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Mutual TLS to the gateways (the silos must use TLS with the same authority).</summary>
    public ClusterTlsOptions Tls { get; set; } = new();

    /// <summary>The gateways as endpoints.</summary>
    /// <exception cref="FormatException">An entry is not "IP:PORT".</exception>
    public IPEndPoint[] GatewayEndpoints() => [.. EffectiveGateways.Select(g => IPEndPoint.Parse(g))];

    /// <summary>The gateways in force.</summary>
    public IReadOnlyList<string> EffectiveGateways => Gateways is { Count: > 0 } ? [.. Gateways] : ["127.0.0.1:30000"];
}
