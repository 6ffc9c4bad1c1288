using System.CommandLine;
using System.Runtime.InteropServices;

namespace DistributedAttention.Cli.Dashboard;

/// <summary>
/// <c>--dashboard</c> on <c>process</c>, <c>attention</c> and <c>serve</c>: an Aspire dashboard
/// started for the run on free loopback ports, with this process's telemetry pointed at it (set
/// before any exporter reads the OTEL_* variables). After a job it stays open until Ctrl+C, so
/// the trace can be looked at.
/// </summary>
internal static class DashboardForRun
{
    public const string OptionName = "--dashboard";

    /// <summary>The option, for the commands that take it.</summary>
    public static Option<bool> CreateOption() => new(OptionName)
    {
        Description = "Start the Aspire dashboard for this run, send the run's traces and metrics to it and print its URL (it stays open after a job until Ctrl+C).",
    };

    /// <summary>Whether <paramref name="parsed"/> asks for a dashboard.</summary>
    public static bool Requested(ParseResult parsed) =>
        parsed.CommandResult.Command.Options.Any(o => o.Name == OptionName) && parsed.GetValue<bool>(OptionName);

    /// <summary>Starts the dashboard and points this process's OTLP exporters at it.</summary>
    /// <exception cref="DashboardUnavailableException">The dashboard program is missing or did not come up.</exception>
    public static async Task<AspireDashboard> StartAsync(TextWriter stdout, CancellationToken cancellationToken)
    {
        var dashboard = await AspireDashboard.StartAsync(DashboardPorts.Free, cancellationToken).ConfigureAwait(false);
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT", dashboard.OtlpGrpcEndpoint.GetLeftPart(UriPartial.Authority));
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
        await stdout.WriteLineAsync($"Aspire dashboard: {dashboard.DashboardUrl.GetLeftPart(UriPartial.Authority)} (this run's traces and metrics go there)").ConfigureAwait(false);
        await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return dashboard;
    }

    /// <summary>After a job: keeps the dashboard open until Ctrl+C or SIGTERM (or until it exits by itself).</summary>
    public static async Task KeepOpenAsync(AspireDashboard dashboard, TextWriter stdout, CancellationToken cancellationToken)
    {
        // The command has returned, so its own signal handling is gone: catch the signals here, or
        // the runtime would end the process without stopping the dashboard.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        await stdout.WriteLineAsync($"The run's trace is in the dashboard: {dashboard.DashboardUrl.GetLeftPart(UriPartial.Authority)}/traces; Ctrl+C closes it.").ConfigureAwait(false);
        await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        await Task.WhenAny(dashboard.Exited, Task.Delay(Timeout.Infinite, stop.Token)).ConfigureAwait(false);
    }
}
