using DistributedAttention.Grains.Shards.Backups;
using DistributedAttention.Hosting;

namespace DistributedAttention.Silo;

/// <summary>
/// What a DistributedAttention silo needs to join its cluster; bound to the configuration section
/// <see cref="SiloHostingExtensions.SiloSection"/> (environment variables
/// <c>DistributedAttention__Silo__SiloPort</c>, <c>DistributedAttention__Silo__Devices__0</c>…) and checked at start.
/// </summary>
public sealed class DistributedAttentionSiloOptions
{
    /// <summary>The cluster's id (silos and clients of one cluster share it).</summary>
    public string ClusterId { get; set; } = "distattn";

    /// <summary>The service's id (stable across cluster redeployments).</summary>
    public string ServiceId { get; set; } = "distattn";

    /// <summary>How silos find each other.</summary>
    public ClusteringMode Clustering { get; set; } = ClusteringMode.Localhost;

    /// <summary>Redis connection string ("redis:6379"); required for Redis clustering or a Redis job store.</summary>
    public string? RedisConnectionString { get; set; }

    /// <summary>Port for silo-to-silo traffic.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port clients connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Localhost clustering with several silos: the primary silo's <see cref="SiloPort"/>; null on the primary itself.</summary>
    public int? PrimarySiloPort { get; set; }

    /// <summary>The IP other silos and clients reach this silo at (e.g. the pod IP); null: loopback for localhost clustering, else this host's first non-loopback IPv4 address (a container's own).</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>This silo's device slots, one shard each at a time ("cpu", "cuda:0"…); empty means one "cpu" slot.</summary>
    public IList<string> Devices { get; set; } = [];

    /// <summary>Largest message body in bytes, on silos and clients alike.</summary>
    public int MaxMessageBodyBytes { get; set; } = ClusterMessaging.DefaultMaxMessageBodyBytes;

    /// <summary>How long a grain call may take before it fails with a timeout (methods may override it).</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Declare a dead silo within seconds (<see cref="Silo.FastFailureDetection"/>); null: on for localhost clustering, Orleans' defaults for Redis.</summary>
    public bool? FastFailureDetection { get; set; }

    /// <summary>Where job records are kept; null: Redis with Redis clustering, otherwise Orleans' in-memory storage.</summary>
    public JobStoreKind? JobStore { get; set; }

    /// <summary>Where shards keep copies of their neighbours' layer inputs.</summary>
    public BackupStorage Backups { get; set; } = BackupStorage.Memory;

    /// <summary>Folder for <see cref="BackupStorage.Disk"/> copies; null: under the system's temporary folder.</summary>
    public string? BackupDirectory { get; set; }

    /// <summary>This silo's name in the membership table and dashboards (e.g. the pod's name); null: Orleans picks one.</summary>
    public string? SiloName { get; set; }

    /// <summary>
    /// How long a silo told to stop (SIGTERM, <c>distattn drain</c>) waits for its running shards and
    /// coordinators before leaving anyway; work still running then is recovered elsewhere. Keep a
    /// container's grace period (Kubernetes terminationGracePeriodSeconds) above this plus ~30 s.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Memory this silo gives to job tensors, in bytes: jobs whose estimated share would take a silo
    /// past its budget wait in the admission queue. Null: 70 % of the memory the process may use
    /// (the container's limit where there is one).
    /// </summary>
    public long? MemoryBudgetBytes { get; set; }

    /// <summary>
    /// libtorch intra-op threads of each CPU device slot's compute thread. Null: libtorch's default,
    /// every core. Set it when several silos share a machine's cores (the embedded cluster gives
    /// each silo cores / silos), or their thread teams oversubscribe the cores.
    /// </summary>
    public int? ComputeThreads { get; set; }

    /// <summary>Jobs that may wait for memory at once; more are refused ("the cluster is busy"). Read on the silo that hosts the admission ledger: give every silo the same value.</summary>
    public int MaxQueuedJobs { get; set; } = 64;

    /// <summary>How long an admitted job may take to upload its inputs and start before it fails and frees its memory.</summary>
    public TimeSpan UploadTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a completed job's outputs stay on the shards unread before they are released.</summary>
    public TimeSpan OutputRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Mutual TLS between silos and from clients: every silo and client presents a certificate signed by the same authority.</summary>
    public ClusterTlsOptions Tls { get; set; } = new();

    /// <summary>The memory budget in force.</summary>
    public long EffectiveMemoryBudgetBytes => MemoryBudgetBytes ?? Grains.Admission.SiloMemoryBudget.Default();

    /// <summary>The device slots in force.</summary>
    public IReadOnlyList<string> EffectiveDevices => Devices is { Count: > 0 } ? [.. Devices] : ["cpu"];

    /// <summary>The job store in force.</summary>
    public JobStoreKind EffectiveJobStore => JobStore ?? (Clustering == ClusteringMode.Redis ? JobStoreKind.Redis : JobStoreKind.Memory);

    /// <summary>Whether fast failure detection is in force.</summary>
    public bool EffectiveFastFailureDetection => FastFailureDetection ?? Clustering == ClusteringMode.Localhost;
}
