using DistributedAttention.Cli.Cluster;
using DistributedAttention.Cli.Tests.Fakes;
using Spectre.Console;

namespace DistributedAttention.Cli.Tests;

/// <summary>Runs <c>distattn</c> in-process with captured output and a chosen cluster.</summary>
internal static class CliHarness
{
    public sealed record Run(int ExitCode, string Output, string Error);

    /// <summary>Runs <paramref name="args"/> against <paramref name="cluster"/> (or the production connector when null).</summary>
    public static async Task<Run> RunAsync(SingleDeviceCluster? cluster, params string[] args)
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

    /// <summary>Connects every command to the in-process stand-in.</summary>
    private sealed class TestConnector(SingleDeviceCluster cluster) : IClusterConnector
    {
        public Task<ClusterConnection> ConnectAsync(ClusterChoice choice, CancellationToken cancellationToken) =>
            Task.FromResult(new ClusterConnection(cluster, silos: 2, "a test cluster", () => ValueTask.CompletedTask));
    }

    /// <summary>A silo that stops at once, as after Ctrl+C.</summary>
    private sealed class StoppedSiloLauncher : ISiloLauncher
    {
        public SiloLaunchOptions? Last { get; private set; }

        public Task RunAsync(SiloLaunchOptions options, CancellationToken cancellationToken)
        {
            Last = options;
            return Task.CompletedTask;
        }
    }
}
