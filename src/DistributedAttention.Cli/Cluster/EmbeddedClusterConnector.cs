using DistributedAttention.Client;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Hosting;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;

namespace DistributedAttention.Cli.Cluster;

/// <summary>Starts <see cref="ClusterChoice.Silos"/> silos in this process over localhost TCP (one "cpu" slot each) and connects a client to them.</summary>
public sealed class EmbeddedClusterConnector : IClusterConnector
{
    private readonly Func<LocalClusterOptions> options;

    /// <summary>
    /// A connector whose clusters use <paramref name="options"/> (default: free ports, a unique
    /// cluster id, no Orleans logging; with <c>DISTATTN_DEBUG=1</c> warnings and errors are logged).
    /// </summary>
    public EmbeddedClusterConnector(Func<LocalClusterOptions>? options = null)
    {
        this.options = options ?? (() => new LocalClusterOptions
        {
            // The CLI owns the console: the progress display and the summary.
            LogLevel = Environment.GetEnvironmentVariable("DISTATTN_DEBUG") == "1" ? Microsoft.Extensions.Logging.LogLevel.Warning : Microsoft.Extensions.Logging.LogLevel.None,
        });
    }

    /// <inheritdoc />
    public async Task<ClusterConnection> ConnectAsync(ClusterChoice choice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(choice);
        // Fail with the sandbox explanation rather than a type-load error inside a silo.
        TorchRuntime.EnsureLoaded();
        var cluster = new LocalCluster(options());
        try
        {
            await cluster.StartAsync(choice.Silos, ["cpu"], cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            if (e is OperationCanceledException) throw;
            throw new ClusterUnavailableException($"cannot start {choice}: {e.Message}", e);
        }
        var gateways = cluster.SiloOptions.Select(s => $"127.0.0.1:{s.GatewayPort}").ToArray();
        var serviceId = cluster.SiloOptions[0].ServiceId;
        return new ClusterConnection(cluster.Client, choice.Silos, choice.ToString(), cluster.DisposeAsync)
        {
            ClientSettings = o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = serviceId;
                o.Clustering = ClusteringMode.Localhost;
                o.Gateways = gateways;
            },
        };
    }
}
