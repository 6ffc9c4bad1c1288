namespace DistributedAttention.Hosting;

/// <summary>The checks silos and clients of one cluster share: identity, clustering, ports. Each adds a message naming the setting to a list.</summary>
public static class ClusterChecks
{
    /// <summary>Cluster identity and clustering mode.</summary>
    public static void Cluster(List<string> problems, string? clusterId, string? serviceId, ClusteringMode clustering, string? redis)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (string.IsNullOrWhiteSpace(clusterId)) problems.Add("ClusterId is required.");
        if (string.IsNullOrWhiteSpace(serviceId)) problems.Add("ServiceId is required.");
        if (!Enum.IsDefined(clustering)) problems.Add($"Clustering '{clustering}' is not one of {string.Join(", ", Enum.GetNames<ClusteringMode>())}.");
        if (clustering == ClusteringMode.Redis && string.IsNullOrWhiteSpace(redis))
            problems.Add("RedisConnectionString is required with Redis clustering (e.g. \"localhost:6379\").");
    }

    /// <summary>A TCP port.</summary>
    public static void Port(List<string> problems, string name, int port)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (port is < 1 or > 65535) problems.Add($"{name} must be in 1..65535 (got {port}).");
    }

    /// <summary>Message size and call timeout.</summary>
    public static void Messaging(List<string> problems, int maxMessageBodyBytes, TimeSpan responseTimeout)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (maxMessageBodyBytes < 1 << 20) problems.Add($"MaxMessageBodyBytes must be at least 1 MiB (got {maxMessageBodyBytes}).");
        if (responseTimeout <= TimeSpan.Zero) problems.Add($"ResponseTimeout must be positive (got {responseTimeout}).");
    }
}
