namespace DistributedAttention.Cli.Cluster;

/// <summary>The production connector: a gateway when <c>--cluster</c> is given, otherwise an embedded cluster.</summary>
public sealed class ClusterConnector : IClusterConnector
{
    private readonly IClusterConnector gateway;
    private readonly IClusterConnector embedded;

    /// <summary>Routes to <paramref name="gateway"/> or <paramref name="embedded"/> (the defaults when null).</summary>
    public ClusterConnector(IClusterConnector? gateway = null, IClusterConnector? embedded = null)
    {
        this.gateway = gateway ?? new GatewayClusterConnector();
        this.embedded = embedded ?? new EmbeddedClusterConnector();
    }

    /// <inheritdoc />
    public Task<ClusterConnection> ConnectAsync(ClusterChoice choice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(choice);
        return (choice.Embedded ? embedded : gateway).ConnectAsync(choice, cancellationToken);
    }
}
