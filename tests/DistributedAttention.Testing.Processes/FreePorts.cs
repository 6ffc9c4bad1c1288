using System.Net;
using System.Net.Sockets;

namespace DistributedAttention.Testing.Processes;

/// <summary>
/// Localhost ports that are free now, chosen below the kernel's ephemeral range.
/// </summary>
/// <remarks>
/// A port the kernel hands out for port 0 comes from the ephemeral range, which every outgoing
/// connection of the tests running alongside (silo to silo, client to gateway) draws from too. A
/// port chosen that way and bound tens of seconds later (a container's published port, a silo
/// process's endpoint) was sometimes taken by then. Ports below that range are only taken by
/// whoever binds them on purpose; each one returned was bindable a moment ago.
/// </remarks>
public static class FreePorts
{
    private const int Lowest = 20000;

    /// <summary><paramref name="count"/> distinct free ports.</summary>
    public static int[] Take(int count)
    {
        var highest = EphemeralLow() - 1;
        var chosen = new List<int>(count);
        for (var attempt = 0; chosen.Count < count; attempt++)
        {
            if (attempt > 1000) throw new InvalidOperationException($"no {count} free loopback ports between {Lowest} and {highest}");
            var port = Random.Shared.Next(Lowest, highest + 1);
            if (!chosen.Contains(port) && IsFree(port)) chosen.Add(port);
        }
        return [.. chosen];
    }

    private static bool IsFree(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>The first port of the kernel's ephemeral range (32768 where it cannot be read).</summary>
    private static int EphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return Math.Max(int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture), Lowest + 1000);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32768;
        }
    }
}
