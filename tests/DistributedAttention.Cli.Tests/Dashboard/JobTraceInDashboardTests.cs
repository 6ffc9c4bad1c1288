using System.Text.Json;
using DistributedAttention.Model.Tests;
using DistributedAttention.Testing.Processes;

namespace DistributedAttention.Cli.Tests.Dashboard;

/// <summary>
/// A job's trace as a user sees it: three <c>distattn silo</c> processes and
/// <c>distattn process --cluster</c>, all exporting over OTLP to the real Aspire dashboard (from
/// its NuGet package). The trace read back through the dashboard's API holds the command, the job,
/// the coordinator's run and layers, every shard's compute and collectives, and Orleans' calls,
/// from all four processes; headless Chromium renders its waterfall (the README's screenshot).
/// </summary>
[Collection(TestSpans.Collection)]
public sealed class JobTraceInDashboardTests : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private readonly List<ChildProcess> children = [];
    private readonly TempDir dir = new();

    private static string SampleBook => Path.Combine(Repo.Root, "samples", "books", "the-north-light.txt");

    [Fact]
    public async Task A_job_on_three_silo_processes_is_one_trace_in_the_dashboard()
    {
        HeadlessChromium.Find();
        await using var dashboard = await AspireDashboardHost.StartAsync();
        var ports = FreePorts.Take(6);
        for (var i = 0; i < 3; i++)
        {
            string[] args = ["silo", "--port", $"{ports[2 * i]}", "--gateway-port", $"{ports[2 * i + 1]}"];
            if (i > 0) args = [.. args, "--primary", $"127.0.0.1:{ports[0]}"];
            var silo = Spawn($"silo {i}", Environment(dashboard, $"distattn-silo-{i}"), args);
            await silo.WaitForLineAsync("silo up:", StartTimeout);
        }
        var output = dir.File("out");
        var cli = Spawn("distattn process", Environment(dashboard, "distattn-process"),
            "process", SampleBook, "--cluster", $"127.0.0.1:{ports[1]}", "--shards", "3", "--layers", "2", "--output", output);
        Assert.Equal(0, await cli.WaitForExitAsync(TimeSpan.FromMinutes(4)));
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "summary.json")));
        var traceId = summary.RootElement.GetProperty("trace_id").GetString()!;
        Assert.Contains(traceId, cli.Output);

        // Compute spans are the last a silo exports (batched): wait until all 3 shards × (prepare + 2 layers) are in.
        using var trace = await dashboard.GetTraceAsync(traceId, minimumSpans: 50, timeout: TimeSpan.FromSeconds(60));
        var names = DashboardTelemetry.SpanNames(trace);
        Assert.Contains("distattn process", names);
        Assert.Contains(names, n => n.StartsWith("job ", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("run ", StringComparison.Ordinal));
        Assert.Contains("prepare", names);
        Assert.Contains("layer 0", names);
        Assert.Contains("layer 1", names);
        foreach (var shard in Enumerable.Range(0, 3))
        {
            foreach (var layer in new[] { "prepare", "layer 0", "layer 1" }) Assert.Single(names, $"shard {shard} {layer}");
        }
        Assert.Contains(names, n => n.StartsWith("halo", StringComparison.Ordinal));
        Assert.Contains("IShardControl/RunLayerAsync", names);
        Assert.DoesNotContain(names, n => n.StartsWith("IShardRing/", StringComparison.Ordinal) || n.StartsWith("IGrainDirectoryPartition/", StringComparison.Ordinal));
        // Spans came from the client and from every silo process.
        var services = DashboardTelemetry.ServiceNames(trace);
        Assert.Superset(new HashSet<string> { "distattn-process", "distattn-silo-0", "distattn-silo-1", "distattn-silo-2" }, services.ToHashSet());

        // Tall enough that the waterfall usually reaches the shards' first spans (the API above already showed them all).
        await using var browser = await HeadlessChromium.StartAsync(1400, 2400);
        var page = await browser.RenderAsync(dashboard.Page($"traces/detail/{traceId}"), "tokenize", "job-trace.png", TimeSpan.FromSeconds(120));
        Assert.True(page.TextAppeared, $"the trace view did not render the waterfall; screenshot {page.ScreenshotPath}; page text: {page.Text}");
        Assert.Contains("distattn process", page.Text);
        Assert.Contains("job ", page.Text);
    }

    public void Dispose()
    {
        foreach (var child in children) child.Dispose();
        dir.Dispose();
    }

    private static Dictionary<string, string> Environment(AspireDashboardHost dashboard, string service) =>
        new(dashboard.OtelEnvironment) { ["OTEL_SERVICE_NAME"] = service, ["OTEL_BSP_SCHEDULE_DELAY"] = "200" };

    private ChildProcess Spawn(string name, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var child = ChildProcess.Start(name, environment, args);
        children.Add(child);
        return child;
    }
}
