using System.Net;
using DistributedAttention.Cli.Dashboard;
using DistributedAttention.Testing.Processes;

namespace DistributedAttention.Cli.Tests.Dashboard;

/// <summary><c>distattn dashboard</c> as a user runs it: a child process, stopped with SIGTERM.</summary>
public sealed class DashboardCommandTests
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Dashboard_command_prints_url_and_exports_serves_the_ui_and_sigterm_stops_it_with_exit_0()
    {
        var ports = FreePorts.Take(3);
        using var command = ChildProcess.Start("distattn dashboard", "dashboard", "--port", $"{ports[0]}", "--otlp-port", $"{ports[1]}", "--otlp-http-port", $"{ports[2]}");

        Assert.Equal($"Aspire dashboard: http://127.0.0.1:{ports[0]}", await command.WaitForLineAsync("Aspire dashboard: ", Start));
        Assert.Equal($"export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:{ports[1]}", await command.WaitForLineAsync("export OTEL_EXPORTER_OTLP_ENDPOINT=", Start));
        Assert.Equal("export OTEL_EXPORTER_OTLP_PROTOCOL=grpc", await command.WaitForLineAsync("export OTEL_EXPORTER_OTLP_PROTOCOL=", Start));
        Assert.Equal($"OTLP/HTTP: http://127.0.0.1:{ports[2]}", await command.WaitForLineAsync("OTLP/HTTP: ", Start));

        using (var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) })
        using (var traces = await http.GetAsync(new Uri($"http://127.0.0.1:{ports[0]}/traces")))
        {
            Assert.Equal(HttpStatusCode.OK, traces.StatusCode);
            Assert.Contains("blazor", await traces.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        }
        var dashboards = ProcessTree.Descendants(command.Id).Where(p => ProcessTree.CommandLine(p).Contains("Aspire.Dashboard", StringComparison.Ordinal)).ToList();
        var dashboard = Assert.Single(dashboards);
        try
        {
            command.Terminate();
            Assert.Equal(ExitCodes.Ok, await command.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("dashboard stopped.", command.Output);
            Assert.True(await ProcessTree.WaitUntilGoneAsync(dashboard, TimeSpan.FromSeconds(10)), $"the dashboard program (pid {dashboard}) outlived distattn.");
            Assert.False(await AspireDashboardTests.AcceptsAsync(ports[0]), $"port {ports[0]} still answers after distattn dashboard stopped.");
        }
        finally
        {
            // Whatever the outcome, the test leaves no dashboard behind.
            ProcessTree.KillIfRunning(dashboard);
        }
    }

    [Fact]
    public async Task Missing_dashboard_program_is_one_line_naming_the_path_with_exit_code_2()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"distattn-no-dashboard-{Guid.NewGuid():N}", "Aspire.Dashboard");
        using var command = ChildProcess.Start("distattn dashboard", new Dictionary<string, string> { [AspireDashboardLocator.EnvironmentVariable] = missing }, "dashboard", "--port", "0", "--otlp-port", "0", "--otlp-http-port", "0");

        Assert.Equal(ExitCodes.Usage, await command.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var lines = command.Output.TrimEnd().Split('\n');
        var error = Assert.Single(lines);
        Assert.StartsWith("[stderr] error: DISTATTN_ASPIRE_DASHBOARD=", error);
        Assert.Contains($"{missing}: does not exist", error);
    }

    [Fact]
    public async Task A_dashboard_that_dies_ends_the_command_with_exit_code_1_and_its_last_output()
    {
        using var command = ChildProcess.Start("distattn dashboard", "dashboard", "--port", "0", "--otlp-port", "0", "--otlp-http-port", "0");
        await command.WaitForLineAsync("Aspire dashboard: ", Start);
        var dashboard = Assert.Single(ProcessTree.Descendants(command.Id), p => ProcessTree.CommandLine(p).Contains("Aspire.Dashboard", StringComparison.Ordinal));

        ProcessTree.KillIfRunning(dashboard);
        Assert.Equal(ExitCodes.JobFailed, await command.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("[stderr] error: the Aspire dashboard stopped on its own (exit code 137). Its last output: ", command.Output);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_program_that_exits_at_start_is_reported_with_its_output_and_exit_code_1()
    {
        var folder = Directory.CreateTempSubdirectory("distattn-bad-dashboard-").FullName;
        try
        {
            var program = Path.Combine(folder, "Aspire.Dashboard");
            File.WriteAllText(program, "#!/bin/sh\necho 'cannot start: no wwwroot'\nexit 3\n");
            File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            using var command = ChildProcess.Start("distattn dashboard", new Dictionary<string, string> { [AspireDashboardLocator.EnvironmentVariable] = program }, "dashboard", "--port", "0", "--otlp-port", "0", "--otlp-http-port", "0");

            Assert.Equal(ExitCodes.JobFailed, await command.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            var error = Assert.Single(command.Output.TrimEnd().Split('\n'));
            Assert.StartsWith("[stderr] error: the Aspire dashboard exited with code 3 before it answered on http://127.0.0.1:", error);
            Assert.EndsWith("Its last output: cannot start: no wwwroot", error);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Bad_port_names_the_option()
    {
        var run = await CliHarness.RunAsync(null, "dashboard", "--port", "70000");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal("error: --port must be a port in 1-65535, or 0 for a free one (got 70000).", run.Error.TrimEnd());
    }

    [Fact]
    public async Task Help_lists_the_command_and_its_default_ports()
    {
        var root = await CliHarness.RunAsync(null, "--help");
        Assert.Equal(ExitCodes.Ok, root.ExitCode);
        Assert.Contains("dashboard", root.Output);
        var help = await CliHarness.RunAsync(null, "dashboard", "--help");
        Assert.Equal(ExitCodes.Ok, help.ExitCode);
        foreach (var option in new[] { "--port", "[default: 18888]", "--otlp-port", "[default: 4317]", "--otlp-http-port", "[default: 4318]", "DISTATTN_ASPIRE_DASHBOARD" })
        {
            Assert.Contains(option, help.Output);
        }
    }
}
