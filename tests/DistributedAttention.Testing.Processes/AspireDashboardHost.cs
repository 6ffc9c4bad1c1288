using System.Text.Json;

namespace DistributedAttention.Testing.Processes;

/// <summary>
/// <c>distattn dashboard</c> on free loopback ports as a child process, for tests that send
/// telemetry and check it arrived:
/// <code>
/// await using var dashboard = await AspireDashboardHost.StartAsync();
/// ChildProcess.Start("job", dashboard.OtelEnvironment, "process", book);
/// var names = await dashboard.SpanNamesAsync(traceId);
/// </code>
/// Dispose stops it with SIGTERM and kills what is left (the dashboard program included).
/// </summary>
public sealed class AspireDashboardHost : IAsyncDisposable
{
    /// <summary>How long a start may take by default (distattn's start plus the dashboard's, on a busy machine).</summary>
    public static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromSeconds(120);

    private readonly ChildProcess process;

    private AspireDashboardHost(ChildProcess process, Uri dashboardUrl, Uri otlpGrpc, Uri otlpHttp)
    {
        this.process = process;
        DashboardUrl = dashboardUrl;
        OtlpGrpcEndpoint = otlpGrpc;
        OtlpHttpEndpoint = otlpHttp;
        Telemetry = new DashboardTelemetry(dashboardUrl);
    }

    /// <summary>The dashboard UI, e.g. <c>http://127.0.0.1:41234/</c>; pages are relative to it (<c>traces</c>, <c>traces/detail/{id}</c>).</summary>
    public Uri DashboardUrl { get; }

    /// <summary>The OTLP/gRPC endpoint.</summary>
    public Uri OtlpGrpcEndpoint { get; }

    /// <summary>The OTLP/HTTP endpoint.</summary>
    public Uri OtlpHttpEndpoint { get; }

    /// <summary>The read API of this dashboard.</summary>
    public DashboardTelemetry Telemetry { get; }

    /// <summary>The <c>distattn dashboard</c> process (its output, its id).</summary>
    public ChildProcess Process => process;

    /// <summary>The variables that point an OpenTelemetry SDK (e.g. a distattn child process) at this dashboard over gRPC.</summary>
    public IReadOnlyDictionary<string, string> OtelEnvironment => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = OtlpGrpcEndpoint.GetLeftPart(UriPartial.Authority),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
    };

    /// <summary>Starts <c>distattn dashboard --port 0 --otlp-port 0 --otlp-http-port 0</c> and waits until it prints its endpoints.</summary>
    public static async Task<AspireDashboardHost> StartAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultStartTimeout;
        var process = ChildProcess.Start("distattn dashboard", "dashboard", "--port", "0", "--otlp-port", "0", "--otlp-http-port", "0");
        try
        {
            // distattn prints these once every endpoint answers.
            var ui = await process.WaitForLineAsync("Aspire dashboard: ", limit);
            var grpc = await process.WaitForLineAsync("OTLP/gRPC: ", limit);
            var http = await process.WaitForLineAsync("OTLP/HTTP: ", limit);
            return new AspireDashboardHost(process, Url(ui), Url(grpc), Url(http));
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    /// <summary>A page of the dashboard, e.g. <c>Page("traces")</c>.</summary>
    public Uri Page(string relative) => new(DashboardUrl, relative);

    /// <summary>One trace, once it holds at least <paramref name="minimumSpans"/> spans (see <see cref="DashboardTelemetry.GetTraceAsync"/>).</summary>
    public Task<JsonDocument> GetTraceAsync(string traceId, int minimumSpans = 1, TimeSpan? timeout = null) =>
        Telemetry.GetTraceAsync(traceId, minimumSpans, timeout);

    /// <summary>The span names of one trace, once it holds at least <paramref name="minimumSpans"/> spans.</summary>
    public Task<IReadOnlyList<string>> SpanNamesAsync(string traceId, int minimumSpans = 1, TimeSpan? timeout = null) =>
        Telemetry.SpanNamesAsync(traceId, minimumSpans, timeout);

    /// <summary>SIGTERM (distattn stops the dashboard), then a kill of whatever is left.</summary>
    public async ValueTask DisposeAsync()
    {
        Telemetry.Dispose();
        // Noted before the stop: should distattn exit without stopping the dashboard, nothing else would.
        var started = ProcessTree.Descendants(process.Id);
        try
        {
            process.Terminate();
            await process.WaitForExitAsync(TimeSpan.FromSeconds(15));
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            // Already gone, or stuck: Dispose kills the whole tree.
        }
        process.Dispose();
        foreach (var pid in started) ProcessTree.KillIfRunning(pid);
    }

    /// <summary>"Label: http://127.0.0.1:PORT" → the URL, with the trailing slash relative pages need.</summary>
    private static Uri Url(string line) => new(line[(line.IndexOf(": ", StringComparison.Ordinal) + 2)..].Trim() + "/");
}
