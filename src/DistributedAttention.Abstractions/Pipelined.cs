namespace DistributedAttention.Abstractions;

/// <summary>
/// Sends a sequence of messages with a few in flight at once: one awaited call per 4 MB chunk
/// leaves the link idle for a round trip each time, while unbounded concurrency would hold every
/// chunk in memory. Items are produced (and their bytes made) on the caller's thread.
/// </summary>
public static class Pipelined
{
    /// <summary>Default number of calls in flight.</summary>
    public const int DefaultInFlight = 4;

    /// <summary>Calls <paramref name="send"/> for every item, at most <paramref name="inFlight"/> at a time, in order of start.</summary>
    public static async Task ForEachAsync<T>(IEnumerable<T> items, Func<T, Task> send, int inFlight = DefaultInFlight, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(send);
        ArgumentOutOfRangeException.ThrowIfLessThan(inFlight, 1);
        var pending = new List<Task>(inFlight);
        try
        {
            foreach (var item in items)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (pending.Count == inFlight)
                {
                    var done = await Task.WhenAny(pending).ConfigureAwait(true);
                    pending.Remove(done);
                    await done.ConfigureAwait(true);
                }
                pending.Add(send(item));
            }
        }
        finally
        {
            // Never leave calls running unobserved, even when one failed or the caller cancelled.
            await Task.WhenAll(pending).ConfigureAwait(true);
        }
    }
}
