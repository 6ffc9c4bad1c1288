using System.Net;
using System.Net.Sockets;

namespace DistributedAttention.Cli.Cluster;

/// <summary>
/// A plain TCP connect before an Orleans or Redis client is started: a port where nothing
/// listens answers at once, and the client would otherwise retry it for its whole timeout.
/// </summary>
internal static class TcpProbe
{
    /// <summary>How long one connect may take before the endpoint counts as not answering.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>Returns once something accepts a connection at <paramref name="endpoint"/>.</summary>
    /// <exception cref="ClusterUnavailableException">Nothing listens there, or it did not answer within <see cref="Timeout"/>.</exception>
    public static async Task RequireListeningAsync(EndPoint endpoint, string what, CancellationToken cancellationToken)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        try
        {
            await socket.ConnectAsync(endpoint, deadline.Token).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new ClusterUnavailableException($"cannot connect to {what}: {Describe(e.SocketErrorCode)} ({endpoint}).", e);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ClusterUnavailableException($"cannot connect to {what}: no answer from {endpoint} within {Timeout.TotalSeconds:F0} s.");
        }
    }

    private static string Describe(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "nothing listens there (connection refused)",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "the host cannot be reached",
        SocketError.TimedOut => "the connection timed out",
        _ => $"the connection failed ({error})",
    };
}
