using DistributedAttention.Abstractions;
using Microsoft.Extensions.Logging;

namespace DistributedAttention.Grains.Jobs;

/// <summary>
/// How a job survives a lost silo: a layer runs as one attempt on every shard; if a call fails,
/// the attempt is aborted everywhere, the shards are probed, each lost shard (reactivated empty
/// on a surviving silo) reloads its layer input from the copy its ring neighbour keeps, and the
/// layer runs again as a new attempt. The other shards still hold their inputs, so only the
/// lost shards' data moves, and the result is the same as without the loss.
/// </summary>
public sealed partial class JobGrain
{
    private const int MaxAttemptsPerLayer = 4;
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromMinutes(3);

    private async Task RunLayerAsync(int layer, CancellationToken token)
    {
        for (var tries = 1; ; tries++)
        {
            token.ThrowIfCancellationRequested();
            var current = ++attempt;
            var calls = Enumerable.Range(0, layout!.Count).Select(s => Track(s, layer, Shard(s).RunLayerAsync(layer, current))).ToArray();
            var failure = await FirstFailureAsync(calls);
            if (failure is null)
            {
                foreach (var report in calls.Select(c => c.Result)) Account(layer, report);
                return;
            }
            // Stop the attempt everywhere: shards waiting on a lost neighbour would wait forever.
            await ForEachShardAsync(s => Shard(s).AbortAsync(current), ignoreErrors: true);
            await Task.WhenAll(calls.Select(c => c.ContinueWith(_ => { }, TaskScheduler.Current)));
            token.ThrowIfCancellationRequested();

            var lost = await FindLostShardsAsync(layer, token);
            if (lost.Count == 0)
            {
                // Nobody was lost: this is a real error (bad input, a bug), not a failure to recover from.
                var index = Array.FindIndex(calls, c => c.IsFaulted && c.Exception!.InnerException is not Messaging.RingAbortedException);
                throw new InvalidOperationException($"shard {Math.Max(index, 0)} failed in layer {layer}: {failure.Message}", failure);
            }
            if (tries >= MaxAttemptsPerLayer)
                throw new InvalidOperationException($"layer {layer} failed {tries} times; shards lost: {string.Join(", ", lost)}. Last error: {failure.Message}", failure);
            logger.LogWarning("Job {Job}: shards {Shards} lost in layer {Layer} ({Error}); recovering", this.GetPrimaryKeyString(), string.Join(", ", lost), layer, failure.Message);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            await RecoverAsync(lost, layer, token);
            phases.Add(new PhaseTiming($"recovery (layer {layer})", watch.Elapsed.TotalSeconds));
        }
    }

    /// <summary>Reloads each lost shard's input to <paramref name="layer"/> from its right neighbour's copy.</summary>
    private async Task RecoverAsync(IReadOnlyList<int> lost, int layer, CancellationToken token)
    {
        var p = layout!.Count;
        foreach (var s in lost)
        {
            var holder = (s + 1) % p;
            if (!options.Replicate || p == 1 || lost.Contains(holder))
            {
                throw new InvalidOperationException(
                    $"shard {s} was lost in layer {layer} and no copy of its input survives ({(options.Replicate ? $"its neighbour {holder} was lost too" : "replication is off")}); rerun the job.");
            }
            var lostSilo = placements[s].Silo;
            await RetryAsync(() => Shard(s).RestoreAsync(Assignment(s), layer), token);
            var placement = await Shard(s).GetPlacementAsync();
            placements[s] = placement;
            recoveries.Add(new RecoveryEvent(s, layer, lostSilo, placement.Silo, $"copy of its layer-{layer} input kept by shard {holder}"));
        }
    }

    /// <summary>Shards that no longer hold their input to <paramref name="layer"/>, waiting until every shard answers.</summary>
    private async Task<List<int>> FindLostShardsAsync(int layer, CancellationToken token)
    {
        var lost = new List<int>();
        for (var s = 0; s < layout!.Count; s++)
        {
            var shard = s;
            var holds = await RetryAsync(() => Shard(shard).HoldsInputAsync(layer).WaitAsync(ProbeTimeout, token), token);
            if (!holds) lost.Add(s);
        }
        return lost;
    }

    /// <summary>Retries a call while the cluster settles (a dead silo's grains are unreachable until it is declared dead).</summary>
    private static async Task<T> RetryAsync<T>(Func<Task<T>> call, CancellationToken token)
    {
        var deadline = DateTime.UtcNow + SettleTimeout;
        for (var delay = TimeSpan.FromMilliseconds(200); ; delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000)))
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (IsTransient(e) && DateTime.UtcNow < deadline && !token.IsCancellationRequested)
            {
                await Task.Delay(delay, token);
            }
        }
    }

    /// <summary>Failures of reaching a grain while membership settles; anything else is an answer and is not retried.</summary>
    private static bool IsTransient(Exception e) => e is TimeoutException or OrleansException;

    private static Task RetryAsync(Func<Task> call, CancellationToken token) =>
        RetryAsync(async () =>
        {
            await call();
            return true;
        }, token);

    private async Task<LayerReport> Track(int shard, int layer, Task<LayerReport> call)
    {
        var report = await call;
        layersDone[shard] = layer + 1;
        placements[shard] = placements[shard] with { Silo = report.Silo };
        return report;
    }

    private void Account(int layer, LayerReport report)
    {
        foreach (var (collective, bytes) in report.BytesSent)
        {
            bytesByCollective[collective] = bytesByCollective.GetValueOrDefault(collective) + bytes;
            if (collective != "backup" && layer >= 0) bytesPerLayer[layer] += bytes;
        }
    }

    /// <summary>Null when every call succeeds; otherwise the first failure (not waiting for calls stuck behind it).</summary>
    private static async Task<Exception?> FirstFailureAsync(Task<LayerReport>[] calls)
    {
        var pending = calls.ToList();
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending);
            pending.Remove(done);
            if (done.IsFaulted) return done.Exception!.InnerException ?? done.Exception;
            if (done.IsCanceled) return new OperationCanceledException("a shard's layer call was cancelled.");
        }
        return null;
    }
}
