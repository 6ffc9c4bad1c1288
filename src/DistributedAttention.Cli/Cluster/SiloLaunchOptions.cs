using System.Net;

namespace DistributedAttention.Cli.Cluster;

/// <summary>What <c>distattn silo</c> was asked to run.</summary>
/// <param name="SiloPort">Silo-to-silo port.</param>
/// <param name="GatewayPort">Client gateway port.</param>
/// <param name="Primary">The primary silo to join (static clustering); <c>null</c> when this silo is the primary or Redis is used.</param>
/// <param name="Devices">Device slots this silo offers to shards ("cpu", "cuda:0"…).</param>
/// <param name="Redis">Redis connection string for clustering; <c>null</c> for static clustering.</param>
/// <param name="ClusterId">Orleans cluster id.</param>
/// <param name="ServiceId">Orleans service id.</param>
public sealed record SiloLaunchOptions(int SiloPort, int GatewayPort, DnsEndPoint? Primary, IReadOnlyList<string> Devices, string? Redis, string ClusterId, string ServiceId);
