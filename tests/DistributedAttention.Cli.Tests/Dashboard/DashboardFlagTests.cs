using System.Text.Json;
using System.Text.RegularExpressions;
using DistributedAttention.Model.Tests;
using DistributedAttention.Testing.Processes;

namespace DistributedAttention.Cli.Tests.Dashboard;

/// <summary>
/// <c>distattn process --dashboard</c>: the dashboard starts for the run, the job's trace lands in
/// it, the dashboard stays open after the job until SIGTERM, and nothing is left behind.
/// </summary>
[Collection(TestSpans.Collection)]
public sealed partial class DashboardFlagTests : IDisposable
{
    private readonly TempDir dir = new();

    [Fact]
    public async Task Process_with_dashboard_sends_its_trace_there_and_keeps_it_open_until_sigterm()
    {
        var output = dir.File("out");
        using var cli = ChildProcess.Start("distattn process --dashboard",
            "process", Path.Combine(Repo.Root, "samples", "books", "the-north-light.txt"), "--silos", "2", "--layers", "1", "--output", output, "--dashboard");
        var started = await cli.WaitForLineAsync("Aspire dashboard: ", TimeSpan.FromSeconds(120));
        var url = new Uri(Url().Match(started).Value);
        await cli.WaitForLineAsync("The run's trace is in the dashboard", TimeSpan.FromMinutes(3));

        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "summary.json")));
        var traceId = summary.RootElement.GetProperty("trace_id").GetString()!;
        using var telemetry = new DashboardTelemetry(url);
        var names = await telemetry.SpanNamesAsync(traceId, minimumSpans: 10, timeout: TimeSpan.FromSeconds(30));
        Assert.Contains("distattn process", names);
        Assert.Contains("shard 1 layer 0", names);
        var dashboardProcesses = ProcessTree.Descendants(cli.Id);
        Assert.NotEmpty(dashboardProcesses);

        cli.Terminate();
        Assert.Equal(0, await cli.WaitForExitAsync(TimeSpan.FromSeconds(40)));
        foreach (var pid in dashboardProcesses)
        {
            Assert.True(await ProcessTree.WaitUntilGoneAsync(pid, TimeSpan.FromSeconds(10)), $"the dashboard (pid {pid}) outlived distattn.");
        }
    }

    public void Dispose() => dir.Dispose();

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+")]
    private static partial Regex Url();
}
