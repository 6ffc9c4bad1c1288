using DistributedAttention.Cli.Cluster;
using Spectre.Console;

namespace DistributedAttention.Cli;

/// <summary>What every command needs from its host: the cluster seams and the console.</summary>
/// <param name="Connector">Connects to (or starts) a cluster.</param>
/// <param name="Silos">Runs a silo for <c>distattn silo</c>.</param>
/// <param name="Console">Standard output (progress, results).</param>
/// <param name="Error">Standard error (one-line errors).</param>
internal sealed record CliContext(IClusterConnector Connector, ISiloLauncher Silos, IAnsiConsole Console, TextWriter Error);
