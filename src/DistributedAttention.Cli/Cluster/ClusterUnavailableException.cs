namespace DistributedAttention.Cli.Cluster;

/// <summary>The cluster could not be reached or started (exit code 1).</summary>
public sealed class ClusterUnavailableException : Exception
{
    /// <summary>A connection failure naming the cluster and the cause.</summary>
    public ClusterUnavailableException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
