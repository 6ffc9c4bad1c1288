namespace DistributedAttention.Cli.Cluster;

/// <summary>Connects a command to a cluster: the seam between the CLI and the silo host.</summary>
public interface IClusterConnector
{
    /// <summary>Connects to (or starts) the cluster <paramref name="choice"/> describes. Dispose the result to disconnect (and stop embedded silos).</summary>
    /// <exception cref="ClusterUnavailableException">The cluster cannot be reached or started; the message says why.</exception>
    Task<ClusterConnection> ConnectAsync(ClusterChoice choice, CancellationToken cancellationToken);
}
