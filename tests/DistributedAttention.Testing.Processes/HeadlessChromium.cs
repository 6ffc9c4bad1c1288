using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace DistributedAttention.Testing.Processes;

/// <summary>What a page showed once it had rendered: its DOM, its visible text and a PNG screenshot.</summary>
/// <param name="Url">The page.</param>
/// <param name="Dom">document.documentElement.outerHTML.</param>
/// <param name="Text">document.body.innerText.</param>
/// <param name="ScreenshotPath">Where the PNG was written.</param>
/// <param name="TextAppeared">Whether the awaited text appeared before the timeout (the capture happens either way).</param>
/// <param name="Waited">How long it took the text to appear (or the timeout).</param>
public sealed record RenderedPage(Uri Url, string Dom, string Text, string ScreenshotPath, bool TextAppeared, TimeSpan Waited);

/// <summary>
/// A real headless Chromium driven over the DevTools protocol. Its one-shot flags (<c>--dump-dom</c>,
/// <c>--screenshot</c>) capture at the load event, before a Blazor Server page (the Aspire
/// dashboard) has rendered anything over its WebSocket circuit; so this waits in the page for the
/// text a test expects, then captures. Dispose kills the browser and removes its profile.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    /// <summary>Names the browser executable, overriding the search of PATH.</summary>
    public const string ExecutableVariable = "DISTATTN_CHROMIUM";

    /// <summary>Folder for screenshots, overriding <c>screenshots/</c> beside the test binaries.</summary>
    public const string ScreenshotsVariable = "DISTATTN_SCREENSHOTS";

    private static readonly string[] Names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private readonly Process process;
    private readonly string profile;
    private readonly CdpSession page;
    private readonly (int Width, int Height) window;

    private HeadlessChromium(Process process, string profile, CdpSession page, (int, int) window)
    {
        this.process = process;
        this.profile = profile;
        this.page = page;
        this.window = window;
    }

    /// <summary>The browser executable: <c>DISTATTN_CHROMIUM</c>, else chromium (or Chrome) on PATH.</summary>
    /// <exception cref="InvalidOperationException">None is installed; the message says how to get one.</exception>
    public static string Find()
    {
        if (Environment.GetEnvironmentVariable(ExecutableVariable) is { Length: > 0 } given)
        {
            return File.Exists(given) ? given : throw new InvalidOperationException($"{ExecutableVariable}={given} does not exist.");
        }
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(dir => Names.Select(name => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);
        return found ?? throw new InvalidOperationException(
            "chromium is not on PATH, so the browser tests cannot run. Run the tests through eng/test.sh (it puts chromium into the " +
            "test sandbox), or give eng/in-sandbox.sh DISTATTN_SANDBOX_PACKAGES=\"... chromium\", or install it (apt-get install chromium), " +
            $"or set {ExecutableVariable} to a Chromium or Chrome executable.");
    }

    /// <summary>Where screenshots go: <c>DISTATTN_SCREENSHOTS</c>, else <c>screenshots/</c> beside the test binaries (created).</summary>
    public static string ScreenshotFolder => Directory.CreateDirectory(
        Environment.GetEnvironmentVariable(ScreenshotsVariable) is { Length: > 0 } folder ? folder : Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    /// <summary>Starts a headless browser with a fresh profile and a <paramref name="width"/>×<paramref name="height"/> window.</summary>
    public static async Task<HeadlessChromium> StartAsync(int width = 1400, int height = 900, TimeSpan? timeout = null)
    {
        var executable = Find();
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        Exception? last = null;
        // A browser that does not open its DevTools port in time gets one more try (a cold start on a busy machine).
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var profile = Directory.CreateTempSubdirectory("distattn-chromium-").FullName;
            var (process, output) = Launch(executable, profile, width, height);
            try
            {
                var socketUrl = await PageSocketAsync(process, profile, output, limit);
                var session = await CdpSession.ConnectAsync(socketUrl, CommandTimeout);
                return new HeadlessChromium(process, profile, session, (width, height));
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException or HttpRequestException or System.Net.WebSockets.WebSocketException)
            {
                last = e;
                Stop(process, profile);
            }
        }
        throw new InvalidOperationException($"headless {executable} did not start: {last!.Message}", last);
    }

    /// <summary>Starts a browser, renders one page (see <see cref="RenderAsync"/>) and stops it.</summary>
    public static async Task<RenderedPage> RenderOnceAsync(Uri url, string waitForText, string screenshotName, TimeSpan? timeout = null)
    {
        await using var browser = await StartAsync();
        return await browser.RenderAsync(url, waitForText, screenshotName, timeout);
    }

    /// <summary>
    /// Opens <paramref name="url"/>, waits (up to <paramref name="timeout"/>, default 60 s) until the
    /// page's text holds <paramref name="waitForText"/>, then writes a PNG screenshot to
    /// <paramref name="screenshotName"/> (relative: under <see cref="ScreenshotFolder"/>) and returns the DOM.
    /// </summary>
    public async Task<RenderedPage> RenderAsync(Uri url, string waitForText, string screenshotName, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        await page.SendAsync("Emulation.setDeviceMetricsOverride", new { width = window.Width, height = window.Height, deviceScaleFactor = 1, mobile = false }, CommandTimeout);
        var navigated = await page.SendAsync("Page.navigate", new { url = url.ToString() }, CommandTimeout);
        if (navigated.TryGetProperty("errorText", out var error)) throw new InvalidOperationException($"chromium could not open {url}: {error.GetString()}");

        var probe = $"document.readyState === 'complete' && !!document.body && document.body.textContent.includes({JsonSerializer.Serialize(waitForText)})";
        var clock = Stopwatch.StartNew();
        var appeared = false;
        while (!appeared && clock.Elapsed < limit)
        {
            appeared = await ProbeAsync(probe);
            if (!appeared) await Task.Delay(250);
        }
        var waited = clock.Elapsed;
        // Let the layout settle (fonts, grid sizing) so the screenshot shows what a person would see.
        if (appeared) await Task.Delay(500);

        var dom = await page.EvaluateAsync("document.documentElement.outerHTML", CommandTimeout);
        var text = await page.EvaluateAsync("document.body ? document.body.innerText : ''", CommandTimeout);
        var shot = await page.SendAsync("Page.captureScreenshot", new { format = "png" }, CommandTimeout);
        var path = Path.Combine(ScreenshotFolder, screenshotName);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, Convert.FromBase64String(shot.GetProperty("data").GetString()!));
        return new RenderedPage(url, dom, text, path, appeared, waited);
    }

    public async ValueTask DisposeAsync()
    {
        await page.DisposeAsync();
        Stop(process, profile);
    }

    /// <summary>Whether <paramref name="expression"/> is true in the page; false while the new document has no context yet.</summary>
    private async Task<bool> ProbeAsync(string expression)
    {
        try
        {
            return await page.EvaluateAsync(expression, CommandTimeout) == "true";
        }
        catch (InvalidOperationException)
        {
            // "Cannot find context" / "Execution context was destroyed" while a navigation commits: ask again.
            return false;
        }
    }

    private static (Process Process, OutputTail Output) Launch(string executable, string profile, int width, int height)
    {
        var start = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        string[] flags =
        [
            // --no-sandbox: tests run as root or inside a user namespace, where Chromium's own sandbox cannot start.
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-sync", "--mute-audio", "--hide-scrollbars",
            $"--window-size={width.ToString(CultureInfo.InvariantCulture)},{height.ToString(CultureInfo.InvariantCulture)}",
            // Port 0: the browser picks one and writes it to DevToolsActivePort in the profile.
            "--remote-debugging-port=0", $"--user-data-dir={profile}", "about:blank",
        ];
        foreach (var flag in flags) start.ArgumentList.Add(flag);
        var process = new Process { StartInfo = start };
        var output = new OutputTail();
        process.OutputDataReceived += (_, e) => output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, output);
    }

    /// <summary>The WebSocket of the browser's first page, once DevTools listens.</summary>
    private static async Task<Uri> PageSocketAsync(Process process, string profile, OutputTail output, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var portFile = Path.Combine(profile, "DevToolsActivePort");
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"chromium exited with code {process.ExitCode}: {output.Tail()}");
            if (File.Exists(portFile) && File.ReadAllLines(portFile) is [var port, ..] && port.Length > 0)
            {
                try
                {
                    using var targets = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list"));
                    var pageTarget = targets.RootElement.EnumerateArray().FirstOrDefault(t => t.GetProperty("type").GetString() == "page");
                    if (pageTarget.ValueKind == JsonValueKind.Object) return new Uri(pageTarget.GetProperty("webSocketDebuggerUrl").GetString()!);
                }
                catch (HttpRequestException)
                {
                    // The port file is written before the endpoint serves; ask again.
                }
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"chromium opened no DevTools page within {timeout.TotalSeconds:F0} s: {output.Tail()}");
            await Task.Delay(100);
        }
    }

    private static void Stop(Process process, string profile)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        process.Dispose();
        try
        {
            Directory.Delete(profile, recursive: true);
        }
        catch (IOException)
        {
            // A straggler still writing; the temporary folder is cleaned eventually.
        }
    }
}
