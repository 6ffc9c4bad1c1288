using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace DistributedAttention.Cli.Dashboard;

/// <summary>
/// The Aspire dashboard program running as a child process, listening on 127.0.0.1 only: the UI
/// (with its read API), OTLP over gRPC and OTLP over HTTP, anonymous because nothing off this
/// machine can reach it. <see cref="StartAsync(DashboardPorts, CancellationToken)"/> returns once
/// every endpoint answers; disposing kills the process tree.
/// </summary>
public sealed class AspireDashboard : IAsyncDisposable
{
    /// <summary>How long a start may take before it is given up (the program needs a few seconds on a busy machine).</summary>
    public static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromSeconds(60);

    // Inherited settings that could add endpoints off loopback, change the auth, or point the
    // dashboard's own telemetry at itself; the launcher sets what it needs and drops the rest.
    private static readonly string[] DroppedVariablePrefixes =
        ["ASPNETCORE_", "DOTNET_URLS", "DOTNET_DASHBOARD_", "ASPIRE_DASHBOARD_", "DASHBOARD__", "KESTREL__", "URLS", "HTTP_PORTS", "HTTPS_PORTS", "OTEL_"];

    private static readonly HttpClient Probe = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
    {
        Timeout = TimeSpan.FromSeconds(2),
    };

    private readonly Process process;
    private readonly DashboardOutput output;

    private AspireDashboard(Process process, DashboardOutput output, DashboardPorts ports, Task<int> exited)
    {
        this.process = process;
        this.output = output;
        Ports = ports;
        Exited = exited;
    }

    /// <summary>The ports it listens on, free ones resolved.</summary>
    public DashboardPorts Ports { get; }

    /// <summary>The UI to open in a browser, e.g. <c>http://127.0.0.1:18888</c>.</summary>
    public Uri DashboardUrl => Loopback(Ports.Ui!.Value);

    /// <summary>Where OTLP/gRPC exporters send (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> with protocol grpc).</summary>
    public Uri OtlpGrpcEndpoint => Loopback(Ports.OtlpGrpc!.Value);

    /// <summary>Where OTLP/HTTP exporters send (protocol http/protobuf).</summary>
    public Uri OtlpHttpEndpoint => Loopback(Ports.OtlpHttp!.Value);

    /// <summary>The dashboard program's process id.</summary>
    public int ProcessId => process.Id;

    /// <summary>Completes with the exit code when the program exits, on its own or on dispose.</summary>
    public Task<int> Exited { get; }

    /// <summary>The program's last lines of output (stdout and stderr), for error messages.</summary>
    public string OutputTail => output.Tail();

    /// <summary>Starts the dashboard found by <see cref="AspireDashboardLocator"/> and waits until it answers.</summary>
    /// <exception cref="UsageException">A port is out of range, given twice or taken, or <c>DISTATTN_ASPIRE_DASHBOARD</c> names no program.</exception>
    /// <exception cref="DashboardUnavailableException">The program is missing, exits, or does not answer within <see cref="DefaultStartTimeout"/>.</exception>
    public static Task<AspireDashboard> StartAsync(DashboardPorts ports, CancellationToken cancellationToken = default) =>
        StartAsync(ports, AspireDashboardLocator.Locate(), DefaultStartTimeout, cancellationToken);

    /// <summary>Starts the dashboard program at <paramref name="program"/> and waits up to <paramref name="timeout"/> until it answers.</summary>
    /// <exception cref="UsageException">A port is out of range, given twice or taken.</exception>
    /// <exception cref="DashboardUnavailableException">The program exits or does not answer in time.</exception>
    public static async Task<AspireDashboard> StartAsync(DashboardPorts ports, string program, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ports);
        ArgumentException.ThrowIfNullOrEmpty(program);
        var picksFree = IsFree(ports.Ui) || IsFree(ports.OtlpGrpc) || IsFree(ports.OtlpHttp);
        // A free port can be taken between picking and binding; only then is another try worth it.
        for (var attempt = 1; ; attempt++)
        {
            var chosen = Choose(ports);
            var dashboard = Launch(program, chosen);
            try
            {
                await dashboard.WaitUntilAnsweringAsync(timeout, cancellationToken).ConfigureAwait(false);
                return dashboard;
            }
            catch (DashboardUnavailableException) when (picksFree && attempt < 3 && dashboard.output.AddressInUse)
            {
                await dashboard.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await dashboard.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>Kills the dashboard and everything it started, and waits (bounded) for it to exit.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await Exited.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            // Already gone, or stuck in the kernel: nothing more a user-space kill can do.
        }
        finally
        {
            process.Dispose();
        }
    }

    private static Uri Loopback(int port) => new($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");

    private static bool IsFree(int? port) => port is null or 0;

    /// <summary>The given ports checked (range, distinct, not taken), the free ones picked.</summary>
    private static DashboardPorts Choose(DashboardPorts ports)
    {
        var given = new[] { (ports.Ui, "dashboard UI"), (ports.OtlpGrpc, "OTLP/gRPC"), (ports.OtlpHttp, "OTLP/HTTP") };
        foreach (var (port, role) in given)
        {
            if (port is < 0 or > 65535) throw new UsageException($"the {role} port must be in 1-65535, or 0 for a free one (got {port}).");
        }
        var duplicate = given.Where(g => !IsFree(g.Item1)).GroupBy(g => g.Item1).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new UsageException($"the {string.Join(" and ", duplicate.Select(d => d.Item2))} ports must differ (both {duplicate.Key}).");
        // Hold every listener until all are chosen, so the free ones differ from each other and from the given ones.
        var held = new List<TcpListener>();
        try
        {
            var chosen = new int[3];
            for (var i = 0; i < given.Length; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, given[i].Item1 ?? 0);
                try
                {
                    listener.Start();
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
                {
                    throw new UsageException($"127.0.0.1:{given[i].Item1} ({given[i].Item2}) is already in use, perhaps by another dashboard; choose another port (0 picks a free one).");
                }
                held.Add(listener);
                chosen[i] = ((IPEndPoint)listener.LocalEndpoint).Port;
            }
            return new DashboardPorts(chosen[0], chosen[1], chosen[2]);
        }
        finally
        {
            foreach (var listener in held) listener.Stop();
        }
    }

    private static AspireDashboard Launch(string program, DashboardPorts ports)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            // Not the package folder: nothing the dashboard might write belongs in the NuGet cache.
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var name in start.Environment.Keys.Where(k => DroppedVariablePrefixes.Any(p => k.StartsWith(p, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            start.Environment.Remove(name);
        }
        start.Environment["ASPNETCORE_URLS"] = Loopback(ports.Ui!.Value).GetLeftPart(UriPartial.Authority);
        start.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = Loopback(ports.OtlpGrpc!.Value).GetLeftPart(UriPartial.Authority);
        start.Environment["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = Loopback(ports.OtlpHttp!.Value).GetLeftPart(UriPartial.Authority);
        // No login token, no OTLP or API key: safe only because every endpoint is on 127.0.0.1.
        start.Environment["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true";
        start.Environment["DOTNET_NOLOGO"] = "1";

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var output = new DashboardOutput();
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stdoutClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderrClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // A null line is the end of a stream: only then has everything the program said been read.
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) stdoutClosed.TrySetResult();
            else output.Add(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) stderrClosed.TrySetResult();
            else output.Add(e.Data);
        };
        process.Exited += (_, _) => ended.TrySetResult();
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new DashboardUnavailableException($"could not start the Aspire dashboard program {program}: {e.Message}.", e);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new AspireDashboard(process, output, ports, ExitedAsync(process, ended.Task, stdoutClosed.Task, stderrClosed.Task));
    }

    /// <summary>
    /// The exit code, once the program has exited and its output has been read to the end (a
    /// program that fails at once must not be reported before its last words arrive; a child still
    /// holding the pipes open is waited for a few seconds at most).
    /// </summary>
    private static async Task<int> ExitedAsync(Process process, Task ended, Task stdoutClosed, Task stderrClosed)
    {
        await ended.ConfigureAwait(false);
        await Task.WhenAny(Task.WhenAll(stdoutClosed, stderrClosed), Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        return process.ExitCode;
    }

    private async Task WaitUntilAnsweringAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (Exited.IsCompleted)
            {
                throw new DashboardUnavailableException($"the Aspire dashboard exited with code {await Exited.ConfigureAwait(false)} before it answered on {DashboardUrl.GetLeftPart(UriPartial.Authority)}. Its last output: {OutputTail}");
            }
            // Kestrel binds every endpoint before it serves any, so these three are the whole readiness check.
            if (await AnswersHttpAsync(DashboardUrl, cancellationToken).ConfigureAwait(false)
                && await AnswersHttpAsync(OtlpHttpEndpoint, cancellationToken).ConfigureAwait(false)
                && await AcceptsTcpAsync(Ports.OtlpGrpc!.Value, cancellationToken).ConfigureAwait(false)
                && !Exited.IsCompleted)
            {
                return;
            }
            if (deadline.Elapsed > timeout)
            {
                throw new DashboardUnavailableException($"the Aspire dashboard did not answer on {DashboardUrl.GetLeftPart(UriPartial.Authority)} within {timeout.TotalSeconds:F0} s. Its last output: {OutputTail}");
            }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<bool> AnswersHttpAsync(Uri url, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Probe.GetAsync(url, cancellationToken).ConfigureAwait(false);
            return (int)response.StatusCode < 500;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task<bool> AcceptsTcpAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
