namespace DistributedAttention.Cli.Cluster;

/// <summary>Starts <see cref="ClusterChoice.Silos"/> silos in this process over localhost TCP and connects a client to them.</summary>
public sealed class EmbeddedClusterConnector : IClusterConnector
{
    /// <inheritdoc />
    public Task<ClusterConnection> ConnectAsync(ClusterChoice choice, CancellationToken cancellationToken)
    {
        // TODO(silo host): start DistributedAttention.Silo's LocalCluster with choice.Silos silos and return
        //   new ClusterConnection(cluster.Client, choice.Silos, choice.ToString(), cluster.DisposeAsync).
        // The silo project is written on another branch; until it is merged, only --cluster works.
        throw new NotSupportedException("embedded cluster not wired yet");
    }
}
