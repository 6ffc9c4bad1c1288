namespace DistributedAttention.Cli.Cluster;

/// <summary>
/// Retries another connector until the cluster answers or <c>patience</c> runs out: a service
/// (<c>distattn serve</c>) started beside its cluster, as compose or Kubernetes start them, must not
/// exit because the silos are still starting or the machine is briefly overloaded.
/// </summary>
public sealed class PatientClusterConnector(IClusterConnector inner, TimeSpan patience, TextWriter log, TimeSpan? pause = null) : IClusterConnector
{
    private readonly TimeSpan pause = pause ?? TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public async Task<ClusterConnection> ConnectAsync(ClusterChoice choice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(choice);
        // An embedded cluster is started, not waited for: its failures are not transient.
        if (choice.Embedded || patience <= TimeSpan.Zero) return await inner.ConnectAsync(choice, cancellationToken).ConfigureAwait(false);
        var deadline = DateTime.UtcNow + patience;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await inner.ConnectAsync(choice, cancellationToken).ConfigureAwait(false);
            }
            catch (ClusterUnavailableException e) when (DateTime.UtcNow + pause < deadline)
            {
                var left = deadline - DateTime.UtcNow;
                await log.WriteLineAsync($"waiting for the cluster (attempt {attempt}, {left.TotalSeconds:F0} s left): {e.Message}").ConfigureAwait(false);
                await log.FlushAsync(cancellationToken).ConfigureAwait(false);
                await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
