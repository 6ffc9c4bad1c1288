using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DistributedAttention.Testing.Processes;

/// <summary>
/// A throw-away <c>redis-server</c> child process on a free localhost port, without persistence
/// (<c>--save "" --appendonly no</c>), or with an append-only file in a folder of the caller's
/// (so <see cref="RestartAsync"/> keeps the data). <see cref="StartAsync"/> returns once it
/// answers PING; <see cref="DisposeAsync"/> kills it.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private const string Executable = "redis-server";
    private readonly StringBuilder log = new();
    private readonly string? dataDirectory;
    private Process process;

    private RedisServer(Process process, int port, string? dataDirectory)
    {
        this.process = process;
        this.dataDirectory = dataDirectory;
        Port = port;
    }

    /// <summary>The port it listens on (127.0.0.1).</summary>
    public int Port { get; }

    /// <summary>A StackExchange.Redis / Orleans connection string for it.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>What the server wrote to stdout and stderr so far.</summary>
    public string Log
    {
        get
        {
            lock (log) return log.ToString();
        }
    }

    /// <summary>The full path of <c>redis-server</c> on PATH, or null.</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, Executable))
            .FirstOrDefault(File.Exists);

    /// <summary>
    /// Starts a server and waits until it answers PING. A port taken between picking and binding
    /// (the server exits at once) is retried on another port.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>redis-server</c> is not on PATH, or it did not come up.</exception>
    /// <param name="timeout">How long to wait for it to answer.</param>
    /// <param name="dataDirectory">Keep an append-only file here (null: no persistence).</param>
    public static async Task<RedisServer> StartAsync(TimeSpan timeout, string? dataDirectory = null)
    {
        var path = Find() ?? throw new InvalidOperationException(
            $"{Executable} is not on PATH, so the Redis clustering tests cannot run. Run the tests through eng/test.sh " +
            "(it puts redis-server into the test sandbox), or give eng/in-sandbox.sh DISTATTN_SANDBOX_PACKAGES=\"... redis-server\", " +
            "or install Redis (apt-get install redis-server) on a host that runs the tests directly.");
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var server = Launch(path, FreePort(), dataDirectory, null);
            try
            {
                await server.WaitUntilReadyAsync(timeout).ConfigureAwait(false);
                return server;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                last = e;
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
        throw new InvalidOperationException($"{Executable} did not start: {last!.Message}", last);
    }

    /// <summary>
    /// Stops the server as an operator would (SHUTDOWN: the append-only file is flushed), leaves it
    /// down for <paramref name="down"/>, and starts it again on the same port and folder.
    /// </summary>
    public async Task RestartAsync(TimeSpan down, TimeSpan timeout)
    {
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, Port).ConfigureAwait(false);
            await client.GetStream().WriteAsync("SHUTDOWN\r\n"u8.ToArray()).ConfigureAwait(false);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        process.Dispose();
        await Task.Delay(down).ConfigureAwait(false);
        process = Launch(Find()!, Port, dataDirectory, this).process;
        await WaitUntilReadyAsync(timeout).ConfigureAwait(false);
    }

    /// <summary>Kills the server (if it still runs) and waits for it to exit.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited on its own meanwhile.
        }
        finally
        {
            process.Dispose();
        }
    }

    private static RedisServer Launch(string path, int port, string? dataDirectory, RedisServer? existing)
    {
        var start = new ProcessStartInfo(path)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        string[] persistence = dataDirectory is null ? ["--appendonly", "no"] : ["--appendonly", "yes", "--appendfsync", "always", "--dir", dataDirectory];
        foreach (var arg in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--daemonize", "no" }.Concat(persistence))
            start.ArgumentList.Add(arg);
        var process = new Process { StartInfo = start };
        var server = existing ?? new RedisServer(process, port, dataDirectory);
        if (existing is not null) existing.process = process;
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (log) log.AppendLine(line);
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"{Executable} on port {Port} exited with code {process.ExitCode}:\n{Log}");
            if (await PingAsync().ConfigureAwait(false)) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{Executable} on port {Port} did not answer PING within {timeout}:\n{Log}");
            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    /// <summary>Whether the server answers an inline PING with +PONG.</summary>
    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token).ConfigureAwait(false);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}
