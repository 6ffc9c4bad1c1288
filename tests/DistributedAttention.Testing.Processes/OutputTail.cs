namespace DistributedAttention.Testing.Processes;

/// <summary>The last lines a child program printed, for failure messages (bounded: browsers are chatty).</summary>
internal sealed class OutputTail
{
    private const int Kept = 30;
    private readonly Queue<string> lines = new();

    public void Add(string? line)
    {
        if (string.IsNullOrWhiteSpace(line)) return;
        lock (lines)
        {
            lines.Enqueue(line.Trim());
            if (lines.Count > Kept) lines.Dequeue();
        }
    }

    public string Tail()
    {
        lock (lines) return lines.Count == 0 ? "(no output)" : string.Join("\n", lines);
    }
}
