using System.Globalization;
using DistributedAttention.Abstractions;

namespace DistributedAttention.Grains.Admission;

/// <summary>
/// The admission rules, apart from Orleans: admitted jobs and their bytes per silo, and a
/// first-in-first-out queue. A job is admitted when it is first in line and its share fits
/// every silo's budget beside what is admitted; a job whose share exceeds some budget even on
/// an idle cluster is refused at once, and so is a job that finds the queue full. Entries not
/// renewed (admitted) or asked about (queued) for <c>entryLifetime</c> expire. Not thread-safe:
/// its grain calls it one message at a time.
/// </summary>
public sealed class AdmissionLedger(int maxQueued, TimeSpan entryLifetime)
{
    private readonly Dictionary<string, Holding> admitted = new(StringComparer.Ordinal);
    private readonly List<Waiting> queue = [];

    /// <summary>The queue's length limit.</summary>
    public int MaxQueued => maxQueued;

    /// <summary>Jobs waiting.</summary>
    public int QueueLength => queue.Count;

    /// <summary>Admits, queues or refuses <paramref name="request"/> (see the class summary).</summary>
    public AdmissionTicket Request(AdmissionRequest request, ClusterMemoryView view, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(view);
        Expire(now);
        if (admitted.ContainsKey(request.JobId)) return new AdmissionTicket(AdmissionOutcome.Admitted);
        var index = queue.FindIndex(w => w.JobId == request.JobId);
        var need = view.Place(request.ShardBytes);
        if (need.FirstOrDefault(n => n.Value > view.Budget(n.Key)) is { Key: not null } over)
        {
            if (index >= 0) queue.RemoveAt(index);
            return new AdmissionTicket(AdmissionOutcome.Refused, 0, AdmissionRefusal.TooLarge,
                $"job {request.JobId} needs about {Size(over.Value)} of memory on silo {over.Key}, more than its budget of {Size(view.Budget(over.Key))}, even with nothing else running; split it into more shards or add silos.");
        }
        if (index < 0)
        {
            if (queue.Count == 0 && need.Count > 0 && Fits(need, view)) return Admit(request.JobId, need, now);
            if (queue.Count >= maxQueued)
            {
                return new AdmissionTicket(AdmissionOutcome.Refused, 0, AdmissionRefusal.QueueFull,
                    $"the cluster is busy: {queue.Count} job(s) already wait for memory, the queue's limit; try again later.");
            }
            queue.Add(new Waiting(request.JobId) { Seen = now });
            return new AdmissionTicket(AdmissionOutcome.Queued, queue.Count - 1);
        }
        queue[index].Seen = now;
        if (index == 0 && need.Count > 0 && Fits(need, view))
        {
            queue.RemoveAt(0);
            return Admit(request.JobId, need, now);
        }
        return new AdmissionTicket(AdmissionOutcome.Queued, index);
    }

    /// <summary>Keeps an admitted job's memory, or takes it back after the ledger was lost (whatever the budget: it runs already).</summary>
    public void Renew(AdmissionRequest request, ClusterMemoryView view, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(view);
        queue.RemoveAll(w => w.JobId == request.JobId);
        admitted[request.JobId] = new Holding(view.Place(request.ShardBytes), now);
        Expire(now);
    }

    /// <summary>Frees a job's memory or takes it out of the queue.</summary>
    public void Release(string jobId)
    {
        admitted.Remove(jobId);
        queue.RemoveAll(w => w.JobId == jobId);
    }

    /// <summary>Budgets and reservations per silo, and the jobs admitted and queued.</summary>
    public AdmissionSnapshot Snapshot(ClusterMemoryView view, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(view);
        Expire(now);
        var silos = view.Budgets.Keys.Concat(admitted.Values.SelectMany(h => h.PerSilo.Keys)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        return new AdmissionSnapshot(
            [.. silos.Select(s => new SiloMemory(s, view.Budget(s), Reserved(s)))],
            [.. admitted.Keys.Order(StringComparer.Ordinal)],
            [.. queue.Select(w => w.JobId)],
            maxQueued);
    }

    /// <summary>Bytes the admitted jobs hold on <paramref name="silo"/>.</summary>
    public long Reserved(string silo) => admitted.Values.Aggregate(0L, (sum, h) => ClusterMemoryView.SaturatingAdd(sum, h.PerSilo.GetValueOrDefault(silo)));

    /// <summary>A byte count for people: "1.5 GiB", "300 MiB".</summary>
    public static string Size(long bytes) => bytes switch
    {
        long.MaxValue => "unlimited",
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.#} GiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(bytes / (double)(1L << 20)):0} MiB"),
    };

    private AdmissionTicket Admit(string jobId, Dictionary<string, long> need, DateTime now)
    {
        admitted[jobId] = new Holding(need, now);
        return new AdmissionTicket(AdmissionOutcome.Admitted);
    }

    private bool Fits(Dictionary<string, long> need, ClusterMemoryView view) =>
        need.All(n => n.Value <= view.Budget(n.Key) - Math.Min(view.Budget(n.Key), Reserved(n.Key)));

    private void Expire(DateTime now)
    {
        var cutoff = now - entryLifetime;
        foreach (var stale in admitted.Where(a => a.Value.Renewed < cutoff).Select(a => a.Key).ToArray()) admitted.Remove(stale);
        queue.RemoveAll(w => w.Seen < cutoff);
    }

    private sealed record Holding(Dictionary<string, long> PerSilo, DateTime Renewed);

    private sealed record Waiting(string JobId)
    {
        public DateTime Seen { get; set; }
    }
}
