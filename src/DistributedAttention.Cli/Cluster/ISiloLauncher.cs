namespace DistributedAttention.Cli.Cluster;

/// <summary>Runs one silo until cancelled: the seam between <c>distattn silo</c> and the silo host.</summary>
public interface ISiloLauncher
{
    /// <summary>Starts a silo with <paramref name="options"/> and runs it until <paramref name="cancellationToken"/> fires, then stops it gracefully.</summary>
    Task RunAsync(SiloLaunchOptions options, CancellationToken cancellationToken);
}
