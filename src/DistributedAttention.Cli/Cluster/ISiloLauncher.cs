using DistributedAttention.Abstractions;

namespace DistributedAttention.Cli.Cluster;

/// <summary>Runs one silo until cancelled: the seam between <c>distattn silo</c> and the silo host.</summary>
public interface ISiloLauncher
{
    /// <summary>
    /// Starts a silo with <paramref name="options"/>, calls <paramref name="started"/> once it has
    /// joined its cluster, runs it until <paramref name="cancellationToken"/> fires, then drains it
    /// (calling <paramref name="draining"/> as the drain starts and as it ends), stops it and returns.
    /// </summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid (e.g. an unknown device); every problem is named.</exception>
    /// <exception cref="ClusterUnavailableException">The silo could not start or join its cluster.</exception>
    Task RunAsync(SiloLaunchOptions options, Action<SiloStarted> started, Action<SiloDrainStatus> draining, CancellationToken cancellationToken);
}

/// <summary>A silo that is up.</summary>
/// <param name="Address">Its Orleans silo address.</param>
/// <param name="SiloPort">Silo-to-silo port.</param>
/// <param name="GatewayPort">Client gateway port.</param>
/// <param name="Devices">Its device slots.</param>
/// <param name="ClusterId">The cluster it joined.</param>
/// <param name="JobStore">Where it keeps job records.</param>
/// <param name="Http">Where the HTTP API listens, when the silo serves it.</param>
public sealed record SiloStarted(string Address, int SiloPort, int GatewayPort, IReadOnlyList<string> Devices, string ClusterId, string JobStore, string? Http = null);
