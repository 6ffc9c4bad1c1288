namespace DistributedAttention.Cli.Cluster;

/// <summary>A connected cluster: something to get grains from, how many silos it has, and what to shut down afterwards.</summary>
public sealed class ClusterConnection : IAsyncDisposable
{
    private readonly Func<ValueTask> dispose;

    /// <summary>A connection.</summary>
    /// <param name="grains">The cluster client (an <c>IClusterClient</c> is an <see cref="IGrainFactory"/>).</param>
    /// <param name="silos">Active silos in the cluster.</param>
    /// <param name="description">Where it runs, for the progress display and summary.</param>
    /// <param name="dispose">Stops the client and, for an embedded cluster, its silos.</param>
    public ClusterConnection(IGrainFactory grains, int silos, string description, Func<ValueTask> dispose)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(dispose);
        Grains = grains;
        Silos = silos;
        Description = description;
        this.dispose = dispose;
    }

    /// <summary>The cluster client.</summary>
    public IGrainFactory Grains { get; }

    /// <summary>Active silos.</summary>
    public int Silos { get; }

    /// <summary>Where it runs.</summary>
    public string Description { get; }

    /// <summary>How another client reaches the same cluster (a web host that shows its dashboard); null when it cannot.</summary>
    public Action<DistributedAttention.Client.DistributedAttentionClientOptions>? ClientSettings { get; init; }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => dispose();
}
