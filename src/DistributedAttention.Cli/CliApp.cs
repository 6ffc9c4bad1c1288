using System.CommandLine;
using DistributedAttention.Abstractions;
using DistributedAttention.Cli.Cluster;
using DistributedAttention.Cli.Commands;
using DistributedAttention.Cli.Dashboard;
using DistributedAttention.Client;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Diagnostics;
using DistributedAttention.Observability;
using Spectre.Console;

namespace DistributedAttention.Cli;

/// <summary>
/// The <c>distattn</c> command line: parses, runs one command, and turns every failure into one
/// line on stderr and an exit code (2 for usage and input errors, 1 for job and cluster
/// failures). Stack traces appear only with <c>DISTATTN_DEBUG=1</c>.
/// </summary>
public sealed class CliApp
{
    private readonly CliContext context;

    /// <summary>An app that connects through <paramref name="connector"/> and writes to <paramref name="console"/> and <paramref name="error"/>.</summary>
    public CliApp(IClusterConnector connector, ISiloLauncher silos, IAnsiConsole console, TextWriter error)
    {
        context = new CliContext(connector, silos, console, error);
    }

    /// <summary>Runs <paramref name="args"/>; returns the exit code.</summary>
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("distattn: long-context attention over whole books on an Orleans cluster.")
        {
            ProcessCommand.Create(context),
            TrainCommand.Create(context),
            ExperimentsCommand.Create(context),
            AttentionCommand.Create(context),
            SiloCommand.Create(context),
            DrainCommand.Create(context),
            ServeCommand.Create(context),
            SampleCommand.Create(context),
            Dashboard.DashboardCommand.Create(context),
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is not { ClearsParseErrors: true })
        {
            await context.Error.WriteLineAsync($"error: {parsed.Errors[0].Message} (see 'distattn --help')").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration
        {
            // Help goes to the console's own writer unwrapped; Spectre would re-wrap System.CommandLine's columns.
            Output = context.Console.Profile.Out.Writer,
            Error = context.Error,
            EnableDefaultExceptionHandler = false,
            // Ctrl+C / SIGTERM cancel the token; a command gets 30 s to end cleanly. A silo drains for as
            // long as its DrainTimeout says (at most a day), so it is not cut short here: its container's
            // grace period bounds it. (Null would turn the signal handling off altogether.)
            ProcessTerminationTimeout = parsed.CommandResult.Command.Name == "silo" ? TimeSpan.FromDays(1) : TimeSpan.FromSeconds(30),
        };
        var name = parsed.CommandResult.Command.Name;
        var stdout = context.Console.Profile.Out.Writer;
        AspireDashboard? dashboard = null;
        try
        {
            // Before any exporter reads the OTEL_* variables: --dashboard points them at its own dashboard.
            if (DashboardForRun.Requested(parsed)) dashboard = await DashboardForRun.StartAsync(stdout, cancellationToken).ConfigureAwait(false);
            // One tracer for the whole process (however many silos it hosts), exporting only where OTEL_* says.
            using var telemetry = name is "dashboard" or "drain" or "sample" or "serve" or "silo" ? null : TelemetrySetup.StartForProcess($"distattn-{name}");
            int code;
            using (var span = name is "process" or "attention" ? Telemetry.Start(SpanNames.Command, $"distattn {name}") : null)
            {
                try
                {
                    code = await parsed.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
                    span?.SetTag("distattn.exit_code", code);
                }
                catch (Exception e)
                {
                    span.Fail(e);
                    throw;
                }
            }
            telemetry?.Flush(TimeSpan.FromSeconds(10));
            if (dashboard is not null && name != "serve") await DashboardForRun.KeepOpenAsync(dashboard, stdout, cancellationToken).ConfigureAwait(false);
            return code;
        }
        catch (Exception e)
        {
            var (code, message) = Classify(e, cancellationToken);
            await context.Error.WriteLineAsync($"error: {message}").ConfigureAwait(false);
            if (Environment.GetEnvironmentVariable("DISTATTN_DEBUG") == "1") await context.Error.WriteLineAsync(e.ToString()).ConfigureAwait(false);
            return code;
        }
        finally
        {
            if (dashboard is not null) await dashboard.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static (int Code, string Message) Classify(Exception e, CancellationToken cancellationToken) => e switch
    {
        UsageException or ArgumentException => (ExitCodes.Usage, e.Message),
        Microsoft.Extensions.Options.OptionsValidationException invalid => (ExitCodes.Usage, "invalid settings: " + string.Join(" ", invalid.Failures)),
        KeyNotFoundException => (ExitCodes.JobFailed, e.Message),
        AdmissionRefusedException => (ExitCodes.JobFailed, "the cluster refused the job: " + e.Message),
        OperationCanceledException => (ExitCodes.Interrupted, "interrupted; the job was cancelled."),
        JobFailedException or ClusterUnavailableException or TorchUnavailableException or NotSupportedException or DashboardUnavailableException => (ExitCodes.JobFailed, e.Message),
        AggregateException { InnerExceptions.Count: 1 } a => Classify(a.InnerExceptions[0], cancellationToken),
        _ => (ExitCodes.JobFailed, $"{e.Message} ({e.GetType().Name})"),
    };
}
