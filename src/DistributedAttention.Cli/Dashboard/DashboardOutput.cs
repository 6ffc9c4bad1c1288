namespace DistributedAttention.Cli.Dashboard;

/// <summary>The last lines a child program printed, kept for error messages (bounded: a dashboard runs for hours).</summary>
internal sealed class DashboardOutput
{
    private const int Kept = 40;
    private readonly Queue<string> lines = new();
    private bool addressInUse;

    public void Add(string? line)
    {
        if (string.IsNullOrWhiteSpace(line)) return;
        var trimmed = line.Trim();
        // Stack frames would push the message that matters out of the tail.
        if (trimmed.StartsWith("at ", StringComparison.Ordinal) || trimmed.StartsWith("--- End of", StringComparison.Ordinal)) return;
        lock (lines)
        {
            lines.Enqueue(trimmed);
            if (lines.Count > Kept) lines.Dequeue();
            addressInUse |= line.Contains("address already in use", StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>Whether the program reported a port already taken.</summary>
    public bool AddressInUse
    {
        get
        {
            lock (lines) return addressInUse;
        }
    }

    /// <summary>The last lines (at most 12), on one line: error messages stay one line.</summary>
    public string Tail()
    {
        lock (lines)
        {
            return lines.Count == 0 ? "(nothing)" : string.Join(" | ", lines.Skip(Math.Max(0, lines.Count - 12)));
        }
    }
}
