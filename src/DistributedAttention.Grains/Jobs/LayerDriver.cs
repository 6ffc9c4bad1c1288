using System.Diagnostics;
using DistributedAttention.Abstractions;
using DistributedAttention.Diagnostics;
using DistributedAttention.Grains.Messaging;
using Microsoft.Extensions.Logging;

namespace DistributedAttention.Grains.Jobs;

/// <summary>
/// Runs one layer on every shard at once, as numbered attempts. If a call fails, the attempt is
/// aborted everywhere (shards waiting on a lost neighbour would wait forever), the shards are
/// probed, lost shards are restored (<see cref="ShardRecovery"/>) and the layer runs again as a
/// new attempt; a failure with no shard lost is a real error and ends the job. Every attempt
/// number is persisted before it is used, so a coordinator that resumes elsewhere never reuses one.
/// </summary>
internal sealed class LayerDriver(IJobShards shards, JobRecord record, ShardRecovery recovery, Func<Task> save, ILogger logger, string jobId)
{
    /// <summary>Attempts per layer before the job fails.</summary>
    public const int MaxAttemptsPerLayer = 4;

    /// <summary>
    /// Before a resumed coordinator runs <paramref name="layer"/>: stops the attempt its lost
    /// predecessor left running and restores the shards lost with it (usually the shard on the
    /// coordinator's own silo).
    /// </summary>
    public async Task ResumeAsync(int layer, CancellationToken token)
    {
        await AbortAllAsync(record.Attempt, token);
        var lost = await recovery.FindLostAsync(layer, token);
        if (lost.Count > 0) await RecoverAsync(lost, layer, "resumed after the coordinator was lost", token);
    }

    /// <summary>
    /// After the job completed: shards lost since then took their output with them, and the last
    /// layer's output is never copied (a copy would cost a layer's worth of traffic and memory in
    /// every job, a loss after the end is rare). Restores the lost shards to their input to the
    /// last layer, which every surviving shard and holder keeps until the job is released, and runs
    /// that layer again as a new attempt. Does nothing when no shard was lost.
    /// </summary>
    /// <returns>Whether any shard was lost (and the layer ran again).</returns>
    public async Task<bool> RecomputeLastAsync(int layers, string why, CancellationToken token)
    {
        // A shard lost with its silo holds nothing; every other one still holds its input to the last layer.
        var last = layers - 1;
        var lost = await recovery.FindLostAsync(last, token);
        if (lost.Count == 0) return false;
        await RecoverAsync(lost, last, why, token);
        await RunLayerAsync(last, token);
        return true;
    }

    /// <summary>Runs <paramref name="layer"/> to completion on every shard, recovering lost shards on the way.</summary>
    /// <exception cref="InvalidOperationException">A shard failed with no shard lost, the layer failed too often, or a lost shard cannot be restored.</exception>
    public async Task RunLayerAsync(int layer, CancellationToken token)
    {
        for (var tries = 1; ; tries++)
        {
            token.ThrowIfCancellationRequested();
            var attempt = ++record.Attempt;
            await save();
            var calls = Enumerable.Range(0, shards.Count).Select(s => TrackAsync(s, layer, () => shards.RunLayerAsync(s, layer, attempt))).ToArray();
            var failure = await FirstFailureAsync(calls);
            if (failure is null)
            {
                foreach (var call in calls) record.Account(layer, call.Result);
                JobSpans.LayerDone(Activity.Current, [.. calls.Select(c => c.Result)], attempt);
                return;
            }
            await AbortAllAsync(attempt, token);
            await Task.WhenAll(calls.Select(c => c.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Current)));
            token.ThrowIfCancellationRequested();

            var lost = await recovery.FindLostAsync(layer, token);
            if (lost.Count == 0)
            {
                // Nobody was lost: a real error (bad input, a bug), not a failure to recover from.
                var index = Array.FindIndex(calls, c => c.IsFaulted && c.Exception!.InnerException is not RingAbortedException);
                throw new InvalidOperationException($"shard {Math.Max(index, 0)} failed in layer {layer}: {failure.Message}", failure);
            }
            if (tries >= MaxAttemptsPerLayer)
                throw new InvalidOperationException($"layer {layer} failed {tries} times; shards lost: {string.Join(", ", lost)}. Last error: {failure.Message}", failure);
            await RecoverAsync(lost, layer, failure.Message, token);
        }
    }

    private async Task RecoverAsync(List<int> lost, int layer, string why, CancellationToken token)
    {
        logger.LogWarning("Job {Job}: shards {Shards} lost at layer {Layer} ({Why}); restoring them from their neighbours' copies", jobId, string.Join(", ", lost), layer, why);
        using var span = recovery.StartSpan(lost, layer, why);
        var watch = Stopwatch.StartNew();
        try
        {
            await recovery.RecoverAsync(lost, layer, token);
        }
        catch (Exception e)
        {
            span.Fail(e);
            throw;
        }
        record.Phases.Add(new PhaseTiming($"recovery (layer {layer})", watch.Elapsed.TotalSeconds));
        await save();
    }

    /// <summary>
    /// Best effort: a lost shard has nothing to abort, and the next attempt supersedes this one anyway.
    /// Any failure of the call is ignored, Orleans' own cancellations too (addressing a grain whose
    /// silo just died can end in one); only the job's own cancellation stops the job.
    /// </summary>
    private Task AbortAllAsync(int attempt, CancellationToken token) =>
        Task.WhenAll(Enumerable.Range(0, shards.Count).Select(async s =>
        {
            try
            {
                await shards.AbortAsync(s, attempt).WaitAsync(ShardRecovery.ProbeTimeout);
            }
            catch (Exception) when (!token.IsCancellationRequested)
            {
                // Ignored: see above.
            }
        }));

    private async Task<LayerReport> TrackAsync(int shard, int layer, Func<Task<LayerReport>> call)
    {
        // Awaited inside: a call that throws at once fails like one that fails later.
        var report = await call();
        record.LayersDone[shard] = layer + 1;
        record.Placements[shard] = record.Placements[shard] with { Silo = report.Silo };
        return report;
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
