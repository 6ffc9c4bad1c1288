using System.Net;
using DistributedAttention.Core.Runtime;

namespace DistributedAttention.Silo;

/// <summary>What a DistributedAttention silo needs to join its cluster. Check with <see cref="Validate"/>.</summary>
public sealed class SiloSettings
{
    /// <summary>Default largest message body: 128 MiB (Orleans' default is 100 MB).</summary>
    public const int DefaultMaxMessageBodyBytes = 128 << 20;

    /// <summary>The cluster's id (silos and clients of one cluster share it).</summary>
    public string ClusterId { get; set; } = "distattn";

    /// <summary>The service's id (stable across cluster redeployments).</summary>
    public string ServiceId { get; set; } = "distattn";

    /// <summary>How silos find each other.</summary>
    public ClusteringMode Clustering { get; set; } = ClusteringMode.Localhost;

    /// <summary>Redis connection string ("redis:6379"); required for <see cref="ClusteringMode.Redis"/>.</summary>
    public string? RedisConnectionString { get; set; }

    /// <summary>Port for silo-to-silo traffic.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port clients connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Localhost clustering with several silos: the primary silo's <see cref="SiloPort"/>; null on the primary itself.</summary>
    public int? PrimarySiloPort { get; set; }

    /// <summary>The IP other silos and clients reach this silo at (e.g. the pod IP); null picks one (loopback for localhost clustering).</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>This silo's device slots, one shard each at a time ("cpu", "cuda:0"…).</summary>
    public IList<string> Devices { get; set; } = ["cpu"];

    /// <summary>Largest message body in bytes, on silos and clients alike.</summary>
    public int MaxMessageBodyBytes { get; set; } = DefaultMaxMessageBodyBytes;

    /// <summary>How long a grain call may take before it fails with a timeout (methods may override it).</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Checks the settings; every problem is named in the exception message.</summary>
    /// <exception cref="ArgumentException">A setting is invalid.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        CheckCluster(problems, ClusterId, ServiceId, Clustering, RedisConnectionString);
        CheckPort(problems, nameof(SiloPort), SiloPort);
        CheckPort(problems, nameof(GatewayPort), GatewayPort);
        if (SiloPort == GatewayPort) problems.Add($"SiloPort and GatewayPort must differ (both are {SiloPort}).");
        if (PrimarySiloPort is { } primary)
        {
            CheckPort(problems, nameof(PrimarySiloPort), primary);
            if (Clustering != ClusteringMode.Localhost) problems.Add("PrimarySiloPort applies to Localhost clustering only.");
            if (primary == SiloPort) problems.Add($"PrimarySiloPort {primary} is this silo's own SiloPort; leave it null on the primary silo.");
        }
        if (AdvertisedAddress is not null && !IPAddress.TryParse(AdvertisedAddress, out _))
            problems.Add($"AdvertisedAddress '{AdvertisedAddress}' is not an IP address.");
        if (Devices is null || Devices.Count == 0) problems.Add("Devices must list at least one device slot (e.g. \"cpu\").");
        else
        {
            foreach (var device in Devices)
            {
                try
                {
                    DeviceSelector.Parse(device);
                }
                catch (Exception e) when (e is ArgumentException or TorchUnavailableException)
                {
                    problems.Add($"Devices: {e.Message}");
                }
            }
        }
        if (MaxMessageBodyBytes < 1 << 20) problems.Add($"MaxMessageBodyBytes must be at least 1 MiB (got {MaxMessageBodyBytes}).");
        if (ResponseTimeout <= TimeSpan.Zero) problems.Add($"ResponseTimeout must be positive (got {ResponseTimeout}).");
        if (problems.Count > 0) throw new ArgumentException("invalid silo settings: " + string.Join(" ", problems));
    }

    /// <summary>The checks silos and clients share: cluster identity and clustering.</summary>
    internal static void CheckCluster(List<string> problems, string? clusterId, string? serviceId, ClusteringMode clustering, string? redis)
    {
        if (string.IsNullOrWhiteSpace(clusterId)) problems.Add("ClusterId is required.");
        if (string.IsNullOrWhiteSpace(serviceId)) problems.Add("ServiceId is required.");
        if (!Enum.IsDefined(clustering)) problems.Add($"Clustering '{clustering}' is not one of {string.Join(", ", Enum.GetNames<ClusteringMode>())}.");
        if (clustering == ClusteringMode.Redis && string.IsNullOrWhiteSpace(redis))
            problems.Add("RedisConnectionString is required with Redis clustering (e.g. \"localhost:6379\").");
    }

    internal static void CheckPort(List<string> problems, string name, int port)
    {
        if (port is < 1 or > 65535) problems.Add($"{name} must be in 1..65535 (got {port}).");
    }
}
