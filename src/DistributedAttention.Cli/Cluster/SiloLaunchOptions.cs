using System.Net;
using DistributedAttention.Client;
using DistributedAttention.Grains.Shards.Backups;
using DistributedAttention.Hosting;
using DistributedAttention.Silo;

namespace DistributedAttention.Cli.Cluster;

/// <summary>
/// What <c>distattn silo</c> was told on its command line. Only flags that were given are set;
/// the rest comes from configuration (environment variables <c>DistributedAttention__Silo__…</c>)
/// or the defaults of <see cref="DistributedAttentionSiloOptions"/>.
/// </summary>
/// <param name="SiloPort">Silo-to-silo port.</param>
/// <param name="GatewayPort">Client gateway port.</param>
/// <param name="Primary">The primary silo to join (static clustering); <c>null</c> when this silo is the primary or Redis is used.</param>
/// <param name="Devices">Device slots this silo offers to shards ("cpu", "cuda:0"…).</param>
/// <param name="Redis">Redis connection string for clustering and job records.</param>
/// <param name="ClusterId">Orleans cluster id.</param>
/// <param name="ServiceId">Orleans service id.</param>
/// <param name="JobStore">Where job records are kept.</param>
/// <param name="Backups">Where neighbours' copies are kept.</param>
/// <param name="HttpPort">Also serve the HTTP API on this port (0 picks one); null serves none.</param>
/// <param name="HttpHost">Address the HTTP API listens on (default 127.0.0.1).</param>
/// <param name="BackupDirectory">Folder for disk copies.</param>
/// <param name="MemoryBudgetBytes">This silo's memory budget for job tensors.</param>
/// <param name="Tls">Mutual TLS: this silo's certificate and key, and the cluster's authority.</param>
public sealed record SiloLaunchOptions(
    int? SiloPort = null,
    int? GatewayPort = null,
    DnsEndPoint? Primary = null,
    IReadOnlyList<string>? Devices = null,
    string? Redis = null,
    string? ClusterId = null,
    string? ServiceId = null,
    JobStoreKind? JobStore = null,
    BackupStorage? Backups = null,
    string? BackupDirectory = null,
    int? HttpPort = null,
    string? HttpHost = null,
    long? MemoryBudgetBytes = null,
    ClusterTlsOptions? Tls = null);
