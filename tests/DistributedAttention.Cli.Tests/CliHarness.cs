using DistributedAttention.Cli.Cluster;
using Spectre.Console;

namespace DistributedAttention.Cli.Tests;

/// <summary>Runs <c>distattn</c> in-process with captured output and a chosen cluster.</summary>
internal static class CliHarness
{
    public sealed record Run(int ExitCode, string Output, string Error);

    /// <summary>
    /// Runs <paramref name="args"/> against the shared test cluster <paramref name="cluster"/>, or
    /// with the production connector (embedded cluster, or <c>--cluster</c>) when null.
    /// </summary>
    public static async Task<Run> RunAsync(ClusterFixture? cluster, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        IClusterConnector connector = cluster is null ? new ClusterConnector() : new TestConnector(cluster);
        var app = new CliApp(connector, new StoppedSiloLauncher(), console, error);
        var code = await app.RunAsync(args);
        return new Run(code, output.ToString(), error.ToString());
    }

    /// <summary>Connects every command to the shared cluster, which outlives the command.</summary>
    private sealed class TestConnector(ClusterFixture cluster) : IClusterConnector
    {
        public Task<ClusterConnection> ConnectAsync(ClusterChoice choice, CancellationToken cancellationToken) =>
            Task.FromResult(new ClusterConnection(cluster.Client, ClusterFixture.Silos, "a test cluster", () => ValueTask.CompletedTask));
    }

    /// <summary>A silo that reports itself up and stops at once, as after Ctrl+C.</summary>
    private sealed class StoppedSiloLauncher : ISiloLauncher
    {
        public Task RunAsync(SiloLaunchOptions options, Action<SiloStarted> started, Action<DistributedAttention.Abstractions.SiloDrainStatus> draining, CancellationToken cancellationToken)
        {
            var (port, gateway) = (options.SiloPort ?? 11111, options.GatewayPort ?? 30000);
            started(new SiloStarted("S127.0.0.1:" + port + ":1", port, gateway, options.Devices ?? ["cpu"], options.ClusterId ?? "distattn", (options.JobStore ?? DistributedAttention.Silo.JobStoreKind.Memory).ToString()));
            return Task.CompletedTask;
        }
    }
}
