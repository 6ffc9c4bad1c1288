using System.Globalization;
using System.Net;

namespace DistributedAttention.Testing.Processes;

/// <summary>
/// What Linux's /proc says about processes: children, whether one still runs, and the TCP ports
/// one listens on (to check that a server binds loopback only).
/// </summary>
public static class ProcessTree
{
    /// <summary>Every process below <paramref name="pid"/> (children, their children, …).</summary>
    public static IReadOnlyList<int> Descendants(int pid)
    {
        var parents = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var child) || Stat(child) is not { } stat) continue;
            if (!parents.TryGetValue(stat.Parent, out var children)) parents[stat.Parent] = children = [];
            children.Add(child);
        }
        var found = new List<int>();
        var pending = new Queue<int>([pid]);
        while (pending.TryDequeue(out var next))
        {
            foreach (var child in parents.GetValueOrDefault(next) ?? [])
            {
                found.Add(child);
                pending.Enqueue(child);
            }
        }
        return found;
    }

    /// <summary>The command line of <paramref name="pid"/> (arguments joined by spaces), or "" once it is gone.</summary>
    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>Whether <paramref name="pid"/> runs (a zombie, exited but not yet reaped, does not count).</summary>
    public static bool IsRunning(int pid) => Stat(pid) is { State: not 'Z' and not 'X' };

    /// <summary>Waits (bounded) until <paramref name="pid"/> no longer runs; false if it still does.</summary>
    public static async Task<bool> WaitUntilGoneAsync(int pid, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (IsRunning(pid))
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(50);
        }
        return true;
    }

    /// <summary>Kills <paramref name="pid"/> and its descendants if it still runs (a leftover a broken parent did not stop).</summary>
    public static void KillIfRunning(int pid)
    {
        if (!IsRunning(pid)) return;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // Gone meanwhile.
        }
    }

    /// <summary>The TCP endpoints <paramref name="pid"/> listens on (IPv4 and IPv6).</summary>
    public static IReadOnlyList<IPEndPoint> ListeningEndpoints(int pid)
    {
        var inodes = new HashSet<string>();
        foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal)) inodes.Add(target[8..^1]);
            }
            catch (IOException)
            {
                // Closed while we looked.
            }
        }
        var endpoints = new List<IPEndPoint>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …; st 0A is LISTEN.
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 10 || fields[3] != "0A" || !inodes.Contains(fields[9])) continue;
                var (address, port) = (fields[1][..fields[1].IndexOf(':')], fields[1][(fields[1].IndexOf(':') + 1)..]);
                endpoints.Add(new IPEndPoint(KernelAddress(address), int.Parse(port, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
            }
        }
        return endpoints;
    }

    /// <summary>/proc/net/tcp writes addresses as 32-bit words in host (little-endian) order.</summary>
    private static IPAddress KernelAddress(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        for (var word = 0; word < bytes.Length; word += 4) Array.Reverse(bytes, word, 4);
        return new IPAddress(bytes);
    }

    private static (char State, int Parent)? Stat(int pid)
    {
        try
        {
            // "pid (name) state ppid …": the name may hold spaces and parentheses, so split after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
