namespace DistributedAttention.Cli.Cluster;

/// <summary>Placeholder until the silo host is merged.</summary>
public sealed class PendingSiloLauncher : ISiloLauncher
{
    /// <inheritdoc />
    public Task RunAsync(SiloLaunchOptions options, CancellationToken cancellationToken)
    {
        // TODO(silo host): build a host with ISiloBuilder.AddDistributedAttention(new SiloSettings { ... from options ... }),
        //   start it, await Task.Delay(Timeout.Infinite, cancellationToken), then StopAsync.
        throw new NotSupportedException("silo host not wired yet");
    }
}
