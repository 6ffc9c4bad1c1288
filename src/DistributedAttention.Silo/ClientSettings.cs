namespace DistributedAttention.Silo;

/// <summary>What a client needs to reach a DistributedAttention cluster. Check with <see cref="Validate"/>.</summary>
public sealed class ClientSettings
{
    /// <summary>The cluster's id.</summary>
    public string ClusterId { get; set; } = "distattn";

    /// <summary>The service's id.</summary>
    public string ServiceId { get; set; } = "distattn";

    /// <summary>How to find gateways.</summary>
    public ClusteringMode Clustering { get; set; } = ClusteringMode.Localhost;

    /// <summary>Redis connection string; required for <see cref="ClusteringMode.Redis"/>.</summary>
    public string? RedisConnectionString { get; set; }

    /// <summary>Localhost clustering: the silos' gateway ports on 127.0.0.1.</summary>
    public IList<int> GatewayPorts { get; set; } = [30000];

    /// <summary>Largest message body in bytes (match the silos').</summary>
    public int MaxMessageBodyBytes { get; set; } = SiloSettings.DefaultMaxMessageBodyBytes;

    /// <summary>How long a grain call may take before it fails with a timeout (methods may override it).</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Checks the settings; every problem is named in the exception message.</summary>
    /// <exception cref="ArgumentException">A setting is invalid.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        SiloSettings.CheckCluster(problems, ClusterId, ServiceId, Clustering, RedisConnectionString);
        if (Clustering == ClusteringMode.Localhost)
        {
            if (GatewayPorts is null || GatewayPorts.Count == 0) problems.Add("GatewayPorts must list at least one gateway port with Localhost clustering.");
            else foreach (var port in GatewayPorts) SiloSettings.CheckPort(problems, nameof(GatewayPorts), port);
        }
        if (MaxMessageBodyBytes < 1 << 20) problems.Add($"MaxMessageBodyBytes must be at least 1 MiB (got {MaxMessageBodyBytes}).");
        if (ResponseTimeout <= TimeSpan.Zero) problems.Add($"ResponseTimeout must be positive (got {ResponseTimeout}).");
        if (problems.Count > 0) throw new ArgumentException("invalid client settings: " + string.Join(" ", problems));
    }
}
