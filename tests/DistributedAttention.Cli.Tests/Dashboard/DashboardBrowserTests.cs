using System.Buffers.Binary;
using DistributedAttention.Testing.Processes;

namespace DistributedAttention.Cli.Tests.Dashboard;

/// <summary>
/// The dashboard as a person sees it: a real headless Chromium renders the traces page after a
/// span arrived. Fails (never skips) without chromium: CI installs it.
/// </summary>
[Collection(TestSpans.Collection)]
public sealed class DashboardBrowserTests
{
    private const string SpanName = "distattn.job demo";
    private const string ServiceName = "distattn-browser-test";

    [Fact]
    public async Task Traces_page_rendered_by_headless_chromium_shows_the_span()
    {
        HeadlessChromium.Find();
        await using var dashboard = await AspireDashboardHost.StartAsync();
        var traceId = TestSpans.Send(dashboard.OtlpGrpcEndpoint, ServiceName, SpanName);
        // The API has it first: the page can only show what the dashboard holds.
        Assert.Contains(SpanName, await dashboard.SpanNamesAsync(traceId));

        await using var browser = await HeadlessChromium.StartAsync();
        var traces = await browser.RenderAsync(dashboard.Page("traces"), SpanName, "dashboard-traces.png");
        Assert.True(traces.TextAppeared, $"'{SpanName}' did not appear on {traces.Url} within the timeout; screenshot {traces.ScreenshotPath}; page text: {traces.Text}");
        Assert.Contains(SpanName, traces.Dom);
        Assert.Contains(ServiceName, traces.Dom);
        AssertScreenshot(traces.ScreenshotPath);

        var detail = await browser.RenderAsync(dashboard.Page($"traces/detail/{traceId}"), SpanName, "dashboard-trace-detail.png");
        Assert.True(detail.TextAppeared, $"'{SpanName}' did not appear on {detail.Url}; screenshot {detail.ScreenshotPath}; page text: {detail.Text}");
        Assert.Contains(SpanName, detail.Dom);
        AssertScreenshot(detail.ScreenshotPath);
    }

    /// <summary>A PNG of the whole 1400×900 window, with more in it than a blank page.</summary>
    private static void AssertScreenshot(string path)
    {
        var png = File.ReadAllBytes(path);
        Assert.True(png.AsSpan().StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]), $"{path} is not a PNG.");
        // IHDR follows the signature: length, type, width, height (big-endian).
        Assert.Equal((1400, 900), (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20))));
        Assert.True(png.Length > 20_000, $"{path} is only {png.Length} bytes: a blank page?");
    }
}
