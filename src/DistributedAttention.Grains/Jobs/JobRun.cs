using System.Diagnostics;
using DistributedAttention.Abstractions;
using DistributedAttention.Diagnostics;
using Microsoft.Extensions.Logging;

namespace DistributedAttention.Grains.Jobs;

/// <summary>
/// A job from wherever its record says it is to its end: prepare (embed, first copies), then
/// each layer not yet completed (<see cref="LayerDriver"/>). A resumed run first restores what
/// the lost coordinator's silo took with it. The record is saved after every step; the caller
/// decides what a failure means.
/// </summary>
internal sealed class JobRun(IJobShards shards, JobRecord record, Func<Task> save, ILogger logger, string jobId)
{
    /// <summary>Runs the job; returns when every layer has completed.</summary>
    /// <param name="resuming">The coordinator was lost and this run picks the job up.</param>
    /// <param name="token">Cancels the job.</param>
    public async Task RunAsync(bool resuming, CancellationToken token)
    {
        var plan = record.Plan ?? throw new InvalidOperationException("the job has no plan.");
        var recovery = new ShardRecovery(shards, record);
        var driver = new LayerDriver(shards, record, recovery, save, logger, jobId);
        if (!record.Prepared)
        {
            await PhaseAsync("prepare", () => PrepareAsync(token));
            record.Prepared = true;
        }
        else if (resuming)
        {
            await PhaseAsync($"resume (layer {record.LayersCompleted})", () => driver.ResumeAsync(record.LayersCompleted, token));
        }
        for (var layer = record.LayersCompleted; layer < plan.Layers; layer++)
        {
            var current = layer;
            await PhaseAsync($"layer {layer}", () => driver.RunLayerAsync(current, token), layer);
            record.LayersCompleted = layer + 1;
        }
        await save();
    }

    /// <summary>Every shard embeds (or stages) its inputs and copies them to its neighbours; a shard that lost its uploaded inputs ends the run with <see cref="InputsLostException"/>.</summary>
    private async Task PrepareAsync(CancellationToken token)
    {
        var calls = Enumerable.Range(0, shards.Count).Select(s => Transient.RetryAsync(() => shards.PrepareAsync(s), token)).ToArray();
        try
        {
            await Task.WhenAll(calls);
        }
        catch (Exception)
        {
            var failed = Enumerable.Range(0, calls.Length).Where(s => calls[s].IsFaulted || calls[s].IsCanceled).ToArray();
            var probes = await Task.WhenAll(failed.Select(s => Transient.RetryAsync(() => shards.ProbeAsync(s), token)));
            var lost = failed.Where((_, i) => !probes[i].Joined).ToArray();
            // A shard that reactivated empty lost its upload with its silo: the inputs must come again.
            if (lost.Length > 0) throw new InputsLostException(lost);
            throw new InvalidOperationException($"shard {failed[0]} failed to prepare: {calls[failed[0]].Exception?.InnerException?.Message ?? "cancelled"}");
        }
        foreach (var call in calls) record.Account(-1, call.Result);
        if (record.Uploads > 0)
        {
            // After a second upload, shards that had prepared before kept their input but not the copies the lost ones held: copy again.
            var copies = await Task.WhenAll(Enumerable.Range(0, shards.Count).Select(s => Transient.RetryAsync(() => shards.ReplicateAsync(s, 0), token)));
            foreach (var copy in copies) record.Account(-1, copy);
        }
    }

    private async Task PhaseAsync(string name, Func<Task> work, int? layer = null)
    {
        record.Phase = name;
        await save();
        using var span = JobSpans.StartPhase(name, layer);
        var watch = Stopwatch.StartNew();
        try
        {
            await work();
        }
        catch (Exception e)
        {
            span.Fail(e);
            throw;
        }
        record.Phases.Add(new PhaseTiming(name, watch.Elapsed.TotalSeconds));
        await save();
    }
}
