using System.Diagnostics;
using DistributedAttention.Diagnostics;
using DistributedAttention.Abstractions;

namespace DistributedAttention.Grains.Jobs;

/// <summary>
/// How a job gets lost shards back: find the shards that no longer hold their input to a layer
/// (a shard lost with its silo reactivates empty elsewhere), reload each from the first
/// surviving copy among the <see cref="JobOptions.EffectiveReplicas"/> shards after it on the
/// ring, then have every shard copy that input again, since the restored shards lost the copies
/// they kept for others. The other shards keep their inputs, so only lost shards' data moves.
/// </summary>
internal sealed class ShardRecovery(IJobShards shards, JobRecord record)
{
    /// <summary>How long one probe may take before it counts as unanswered (and is retried).</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Shards that do not hold their input to <paramref name="layer"/>, once every shard has answered.</summary>
    public async Task<List<int>> FindLostAsync(int layer, CancellationToken token)
    {
        var probes = await Task.WhenAll(Enumerable.Range(0, shards.Count).Select(s =>
            Transient.RetryAsync(() => shards.ProbeAsync(s).WaitAsync(ProbeTimeout, token), token)));
        return [.. Enumerable.Range(0, shards.Count).Where(s => !probes[s].Holds(layer))];
    }

    /// <summary>Starts the span of a recovery (restoring <paramref name="lost"/> at <paramref name="layer"/> because of <paramref name="reason"/>); each restored shard becomes an event on it.</summary>
    public Activity? StartSpan(IReadOnlyCollection<int> lost, int layer, string reason)
    {
        JobMetrics.Recoveries.Add(lost.Count);
        var span = Telemetry.Start(SpanNames.Recovery, $"recovery of shard{(lost.Count == 1 ? "" : "s")} {string.Join(", ", lost.Order())}");
        span?.SetTag(AttributeNames.JobId, record.Plan?.JobId);
        span?.SetTag(AttributeNames.LostShards, lost.Order().ToArray());
        span?.SetTag(AttributeNames.Layer, layer);
        span?.SetTag(AttributeNames.Reason, reason);
        return span;
    }

    /// <summary>Restores every shard in <paramref name="lost"/> to its input to <paramref name="layer"/> and recopies that input everywhere.</summary>
    /// <exception cref="InvalidOperationException">No copy of some lost shard's input survives; the message names the shard and why.</exception>
    public async Task RecoverAsync(IReadOnlyCollection<int> lost, int layer, CancellationToken token)
    {
        var (p, replicas) = (shards.Count, record.Plan!.Options.EffectiveReplicas);
        foreach (var s in lost.Order())
        {
            var holders = Enumerable.Range(1, replicas).Select(k => (s + k) % p).Where(h => !lost.Contains(h)).ToArray();
            if (holders.Length == 0)
            {
                var why = replicas == 0 ? "replication is off" : $"every shard keeping one was lost too: {string.Join(", ", Enumerable.Range(1, replicas).Select(k => (s + k) % p))}";
                throw new InvalidOperationException($"shard {s} was lost at layer {layer} and no copy of its input survives ({why}); rerun the job{(replicas == 0 ? " with replicas" : " with more replicas")}.");
            }
            var lostSilo = record.Placements[s].Silo;
            var holder = await RestoreFromFirstAsync(s, layer, holders, token);
            var probe = await Transient.RetryAsync(() => shards.ProbeAsync(s), token);
            record.Placements[s] = probe.Placement;
            var recovered = new RecoveryEvent(s, layer, lostSilo, probe.Placement.Silo, $"copy of its layer-{layer} input kept by shard {holder}");
            record.Recoveries.Add(recovered);
            JobSpans.Restored(Activity.Current, recovered);
        }
        var reports = await Task.WhenAll(Enumerable.Range(0, p).Select(s => Transient.RetryAsync(() => shards.ReplicateAsync(s, layer), token)));
        foreach (var report in reports) record.Account(-1, report);
    }

    private async Task<int> RestoreFromFirstAsync(int shard, int layer, int[] holders, CancellationToken token)
    {
        var reasons = new List<string>();
        foreach (var holder in holders)
        {
            try
            {
                await Transient.RetryAsync(() => shards.RestoreAsync(shard, layer, holder), token);
                return holder;
            }
            catch (InvalidOperationException e)
            {
                // This holder has no (complete) copy; the next one may.
                reasons.Add($"shard {holder}: {e.Message}");
            }
        }
        throw new InvalidOperationException($"shard {shard} was lost at layer {layer} and no copy of its input could be read ({string.Join("; ", reasons)}); rerun the job.");
    }
}
