using System.Net.WebSockets;
using System.Text.Json;

namespace DistributedAttention.Testing.Processes;

/// <summary>
/// The Chrome DevTools Protocol over one page's WebSocket: a command, then its answer (events in
/// between are skipped). One command at a time, each bounded by its own timeout.
/// </summary>
internal sealed class CdpSession : IAsyncDisposable
{
    private readonly ClientWebSocket socket = new();
    private int nextId;

    private CdpSession()
    {
    }

    public static async Task<CdpSession> ConnectAsync(Uri webSocketUrl, TimeSpan timeout)
    {
        var session = new CdpSession();
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await session.socket.ConnectAsync(webSocketUrl, limit.Token);
            return session;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs <paramref name="method"/> and returns its <c>result</c>; a protocol error throws.</summary>
    public async Task<JsonElement> SendAsync(string method, object? parameters, TimeSpan timeout)
    {
        var id = ++nextId;
        using var limit = new CancellationTokenSource(timeout);
        var request = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters ?? new { } });
        try
        {
            await socket.SendAsync(request, WebSocketMessageType.Text, endOfMessage: true, limit.Token);
            while (true)
            {
                using var message = await ReceiveAsync(limit.Token);
                var root = message.RootElement;
                if (!root.TryGetProperty("id", out var answered) || answered.GetInt32() != id) continue;
                if (root.TryGetProperty("error", out var error)) throw new InvalidOperationException($"DevTools {method} failed: {error}");
                return root.GetProperty("result").Clone();
            }
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            throw new TimeoutException($"DevTools {method} got no answer within {timeout.TotalSeconds:F0} s.");
        }
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page and returns its value as a string.</summary>
    public async Task<string> EvaluateAsync(string expression, TimeSpan timeout)
    {
        var result = await SendAsync("Runtime.evaluate", new { expression, returnByValue = true }, timeout);
        if (result.TryGetProperty("exceptionDetails", out var thrown)) throw new InvalidOperationException($"'{expression}' threw in the page: {thrown}");
        var value = result.GetProperty("result");
        return value.TryGetProperty("value", out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : v.GetRawText() : "";
    }

    public async ValueTask DisposeAsync()
    {
        if (socket.State == WebSocketState.Open)
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, limit.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // The browser goes away with its process anyway.
            }
        }
        socket.Dispose();
    }

    private async Task<JsonDocument> ReceiveAsync(CancellationToken cancellationToken)
    {
        // Screenshots arrive as one message of a few MB, in many frames.
        using var message = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var frame = await socket.ReceiveAsync(buffer, cancellationToken);
            if (frame.MessageType == WebSocketMessageType.Close) throw new InvalidOperationException("the browser closed the DevTools connection.");
            message.Write(buffer, 0, frame.Count);
            if (frame.EndOfMessage) break;
        }
        message.Position = 0;
        return JsonDocument.Parse(message);
    }
}
