using DistributedAttention.Client;
using DistributedAttention.Grains.Shards.Backups;
using DistributedAttention.Hosting;
using DistributedAttention.Silo;
using Microsoft.Extensions.Logging;

namespace DistributedAttention.Hosting.Local;

/// <summary>Options of a <see cref="LocalCluster"/>.</summary>
public sealed class LocalClusterOptions
{
    /// <summary>First of 2×silos consecutive ports (silo i: silo port base+2i, gateway base+2i+1); null picks free ports.</summary>
    public int? BasePort { get; set; }

    /// <summary>The cluster id; null makes a unique one, so clusters in one process never mix.</summary>
    public string? ClusterId { get; set; }

    /// <summary>
    /// How the silos find each other and the client finds gateways: <see cref="ClusteringMode.Localhost"/>
    /// (the default; silo 0 is the primary and holds the membership table) or
    /// <see cref="ClusteringMode.Redis"/> (the table lives in <see cref="RedisConnectionString"/>'s
    /// Redis; no silo is special).
    /// </summary>
    public ClusteringMode Clustering { get; set; } = ClusteringMode.Localhost;

    /// <summary>Redis connection string ("127.0.0.1:6379"); required for <see cref="ClusteringMode.Redis"/>.</summary>
    public string? RedisConnectionString { get; set; }

    /// <summary>The service id.</summary>
    public string ServiceId { get; set; } = "distattn";

    /// <summary>Largest message body, on silos and client.</summary>
    public int MaxMessageBodyBytes { get; set; } = ClusterMessaging.DefaultMaxMessageBodyBytes;

    /// <summary>Grain call timeout.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait for the silos to agree on membership at start.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a graceful stop of one host may take at disposal.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Where the silos keep job records: in this process by default (<see cref="JobStoreKind.InProcess"/>),
    /// so a job survives the loss of any one silo, its coordinator's included.
    /// </summary>
    public JobStoreKind JobStore { get; set; } = JobStoreKind.InProcess;

    /// <summary>Where shards keep their neighbours' copies.</summary>
    public BackupStorage Backups { get; set; } = BackupStorage.Memory;

    /// <summary>Folder for disk copies; null: under the system's temporary folder.</summary>
    public string? BackupDirectory { get; set; }

    /// <summary>Each silo's memory budget in bytes; null: 70 % of the process's memory split evenly between the silos.</summary>
    public long? MemoryBudgetBytes { get; set; }

    /// <summary>libtorch intra-op threads of each silo's CPU compute thread. Null: the process's cores divided among its silos (at least one each).</summary>
    public int? ComputeThreads { get; set; }

    /// <summary>Jobs that may wait for memory at once.</summary>
    public int MaxQueuedJobs { get; set; } = 64;

    /// <summary>How long an admitted job may take to upload and start.</summary>
    public TimeSpan UploadTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Mutual TLS for every silo and the cluster's client (off unless a certificate is given).</summary>
    public ClusterTlsOptions Tls { get; set; } = new();

    /// <summary>Console log level of the hosts (default: warnings).</summary>
    public LogLevel LogLevel { get; set; } = LogLevel.Warning;
}
