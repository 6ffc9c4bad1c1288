using System.Collections.Concurrent;

namespace DistributedAttention.Grains.Messaging;

/// <summary>Bytes sent, by collective ("halo", "allgather"…). Thread-safe.</summary>
public sealed class TrafficCounter
{
    private readonly ConcurrentDictionary<string, long> bytes = new(StringComparer.Ordinal);

    /// <summary>Adds <paramref name="count"/> bytes to <paramref name="collective"/>.</summary>
    public void Add(string collective, long count)
    {
        ArgumentNullException.ThrowIfNull(collective);
        bytes.AddOrUpdate(collective, count, (_, b) => b + count);
    }

    /// <summary>Bytes sent under <paramref name="collective"/> so far (0 if none).</summary>
    public long this[string collective] => bytes.GetValueOrDefault(collective);

    /// <summary>Bytes sent over all collectives.</summary>
    public long Total => bytes.Values.Sum();

    /// <summary>A copy of the counts, safe to send in a message.</summary>
    public Dictionary<string, long> Snapshot() => new(bytes, StringComparer.Ordinal);

    /// <summary>Sets every count back to zero.</summary>
    public void Reset() => bytes.Clear();
}
