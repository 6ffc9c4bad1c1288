using System.Net;
using System.Text.Json;

namespace DistributedAttention.Testing.Processes;

/// <summary>
/// The Aspire dashboard's read API (<c>/api/telemetry/…</c>, OTLP-JSON), with waits for spans
/// that are still on their way: exporters batch, so a test polls (bounded) until they arrive.
/// </summary>
/// <param name="dashboardUrl">The dashboard's address.</param>
/// <param name="apiKey">The API key (<c>x-api-key</c>) where the dashboard's API needs one.</param>
public sealed class DashboardTelemetry(Uri dashboardUrl, string? apiKey = null) : IDisposable
{
    /// <summary>How long the waits below poll by default.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient http = Client(dashboardUrl, apiKey);

    /// <summary>Every trace the dashboard holds: <c>GET /api/telemetry/traces</c>.</summary>
    public async Task<JsonDocument> GetTracesAsync(CancellationToken cancellationToken = default) =>
        await GetAsync("/api/telemetry/traces", cancellationToken) ?? throw new InvalidOperationException("GET /api/telemetry/traces answered 404.");

    /// <summary>
    /// One trace (<c>GET /api/telemetry/traces/{traceId}</c>) once it holds at least
    /// <paramref name="minimumSpans"/> spans; fails after <paramref name="timeout"/> (default 30 s).
    /// </summary>
    public async Task<JsonDocument> GetTraceAsync(string traceId, int minimumSpans = 1, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? DefaultTimeout;
        var deadline = DateTime.UtcNow + limit;
        var seen = 0;
        while (true)
        {
            // 404 until the dashboard has a span of the trace.
            var trace = await GetAsync($"/api/telemetry/traces/{Uri.EscapeDataString(traceId)}", cancellationToken);
            if (trace is not null)
            {
                seen = Spans(trace).Count;
                if (seen >= minimumSpans) return trace;
                trace.Dispose();
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"trace {traceId} had {seen} span(s) on {http.BaseAddress} after {limit.TotalSeconds:F0} s; expected at least {minimumSpans}.");
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>The names of the spans of one trace, once it holds at least <paramref name="minimumSpans"/>.</summary>
    public async Task<IReadOnlyList<string>> SpanNamesAsync(string traceId, int minimumSpans = 1, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        using var trace = await GetTraceAsync(traceId, minimumSpans, timeout, cancellationToken);
        return SpanNames(trace);
    }

    /// <summary>Every span in an OTLP-JSON answer (<c>data.resourceSpans[].scopeSpans[].spans[]</c>).</summary>
    public static IReadOnlyList<JsonElement> Spans(JsonDocument otlp) =>
        [.. ResourceSpans(otlp).SelectMany(r => Array(r, "scopeSpans")).SelectMany(s => Array(s, "spans"))];

    /// <summary>The <c>name</c> of every span in an OTLP-JSON answer.</summary>
    public static IReadOnlyList<string> SpanNames(JsonDocument otlp) =>
        [.. Spans(otlp).Select(s => s.GetProperty("name").GetString() ?? "")];

    /// <summary>The <c>service.name</c> resource attribute of every resource in an OTLP-JSON answer.</summary>
    public static IReadOnlyList<string> ServiceNames(JsonDocument otlp) =>
        [.. ResourceSpans(otlp).SelectMany(r => ResourceAttributes(r).Where(a => a.Key == "service.name").Select(a => a.Value))];

    public void Dispose() => http.Dispose();

    private static IEnumerable<JsonElement> ResourceSpans(JsonDocument otlp) =>
        otlp.RootElement.TryGetProperty("data", out var data) ? Array(data, "resourceSpans") : [];

    private static IEnumerable<(string Key, string Value)> ResourceAttributes(JsonElement resourceSpans) =>
        resourceSpans.TryGetProperty("resource", out var resource)
            ? Array(resource, "attributes").Select(a => (
                a.GetProperty("key").GetString() ?? "",
                a.TryGetProperty("value", out var value) && value.TryGetProperty("stringValue", out var text) ? text.GetString() ?? "" : ""))
            : [];

    private static IEnumerable<JsonElement> Array(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray() : [];

    private async Task<JsonDocument?> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(path, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET {path} on {http.BaseAddress} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
        return await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
    }

    private static HttpClient Client(Uri dashboardUrl, string? apiKey)
    {
        var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = dashboardUrl, Timeout = TimeSpan.FromSeconds(10) };
        if (apiKey is not null) client.DefaultRequestHeaders.Add("x-api-key", apiKey);
        return client;
    }
}
