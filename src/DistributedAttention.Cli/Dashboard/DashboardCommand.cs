using System.CommandLine;

namespace DistributedAttention.Cli.Dashboard;

/// <summary>
/// <c>distattn dashboard</c>: runs the Aspire dashboard on 127.0.0.1 until Ctrl+C or SIGTERM and
/// prints the URL to open and the <c>OTEL_*</c> variables that send telemetry to it.
/// </summary>
internal static class DashboardCommand
{
    public static Command Create(CliContext context)
    {
        var port = new Option<int>("--port") { Description = "Port of the dashboard UI (0 picks a free one).", DefaultValueFactory = _ => DashboardPorts.Default.Ui!.Value };
        var otlpPort = new Option<int>("--otlp-port") { Description = "Port of the OTLP/gRPC endpoint (0 picks a free one).", DefaultValueFactory = _ => DashboardPorts.Default.OtlpGrpc!.Value };
        var otlpHttpPort = new Option<int>("--otlp-http-port") { Description = "Port of the OTLP/HTTP endpoint (0 picks a free one).", DefaultValueFactory = _ => DashboardPorts.Default.OtlpHttp!.Value };
        var command = new Command("dashboard", $"Run the Aspire dashboard on 127.0.0.1 until Ctrl+C or SIGTERM; print its URL and the OTEL_* variables to export. The program comes from the Aspire.Dashboard.Sdk.linux-x64 package, or from {AspireDashboardLocator.EnvironmentVariable}.")
        {
            port, otlpPort, otlpHttpPort,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var ports = new DashboardPorts(Port(result.GetValue(port), "--port"), Port(result.GetValue(otlpPort), "--otlp-port"), Port(result.GetValue(otlpHttpPort), "--otlp-http-port"));
            // Plain lines on the console's own writer: never wrapped, so scripts can match them.
            var stdout = context.Console.Profile.Out.Writer;
            void Say(string line)
            {
                stdout.WriteLine(line);
                stdout.Flush();
            }

            AspireDashboard dashboard;
            try
            {
                dashboard = await AspireDashboard.StartAsync(ports, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Say("dashboard stopped before it came up.");
                return ExitCodes.Ok;
            }
            catch (DashboardUnavailableException e)
            {
                // An installation or runtime problem, not a usage error: one line, exit code 1.
                await context.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return ExitCodes.JobFailed;
            }
            await using (dashboard.ConfigureAwait(false))
            {
                foreach (var line in Describe(dashboard)) Say(line);
                var stopped = await Task.WhenAny(dashboard.Exited, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
                // Ctrl+C in a terminal signals the dashboard too, and it may exit before our token is cancelled.
                if (stopped == dashboard.Exited && !await CancelledSoonAsync(cancellationToken).ConfigureAwait(false))
                {
                    await context.Error.WriteLineAsync($"error: the Aspire dashboard stopped on its own (exit code {await dashboard.Exited.ConfigureAwait(false)}). Its last output: {dashboard.OutputTail}").ConfigureAwait(false);
                    return ExitCodes.JobFailed;
                }
            }
            // Ctrl+C / SIGTERM is how the dashboard is meant to stop.
            Say("dashboard stopped.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<bool> CancelledSoonAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    private static int Port(int value, string option) =>
        value is >= 0 and <= 65535 ? value : throw new UsageException($"{option} must be a port in 1-65535, or 0 for a free one (got {value}).");

    /// <summary>The lines printed once the dashboard answers: what to open, and what to export.</summary>
    internal static IEnumerable<string> Describe(AspireDashboard dashboard)
    {
        var grpc = dashboard.OtlpGrpcEndpoint.GetLeftPart(UriPartial.Authority);
        yield return $"Aspire dashboard: {dashboard.DashboardUrl.GetLeftPart(UriPartial.Authority)}";
        yield return $"OTLP/gRPC: {grpc}";
        yield return $"OTLP/HTTP: {dashboard.OtlpHttpEndpoint.GetLeftPart(UriPartial.Authority)}";
        yield return "To send telemetry from distattn process, serve and silo here, export in their shells:";
        yield return $"export OTEL_EXPORTER_OTLP_ENDPOINT={grpc}";
        yield return "export OTEL_EXPORTER_OTLP_PROTOCOL=grpc";
        yield return "Listening on 127.0.0.1 only, without login; Ctrl+C stops it.";
    }
}
