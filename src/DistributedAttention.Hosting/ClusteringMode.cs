namespace DistributedAttention.Hosting;

/// <summary>How silos find each other and clients find gateways.</summary>
public enum ClusteringMode
{
    /// <summary>Development clustering on one machine: the primary silo holds the membership table in memory.</summary>
    Localhost = 0,

    /// <summary>A Redis membership table (docker-compose, Kubernetes).</summary>
    Redis = 1,
}
