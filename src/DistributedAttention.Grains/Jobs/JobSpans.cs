using System.Diagnostics;
using DistributedAttention.Abstractions;
using DistributedAttention.Diagnostics;

namespace DistributedAttention.Grains.Jobs;

/// <summary>The coordinator's spans and job metrics: the run, its phases, each layer's straggler, restored shards.</summary>
internal static class JobSpans
{
    /// <summary>Starts the span of a coordinator's run, in the job's trace (also on a silo the coordinator moved to).</summary>
    public static Activity? StartRun(string jobId, JobRecord record, string silo, bool resuming)
    {
        var plan = record.Plan!;
        var span = Telemetry.Start(SpanNames.Run, resuming ? $"run {jobId} (resumed)" : $"run {jobId}", parent: JobTrace.Parse(record.TraceParent));
        if (span is null) return null;
        span.SetTag(AttributeNames.JobId, jobId);
        span.SetTag(AttributeNames.JobKind, plan.Kind.ToString().ToLowerInvariant());
        span.SetTag(AttributeNames.Tokens, plan.Work.Length);
        span.SetTag(AttributeNames.Shards, plan.Count);
        span.SetTag(AttributeNames.Layers, plan.Layers);
        span.SetTag(AttributeNames.Mechanism, Mechanisms(plan.Work));
        span.SetTag(AttributeNames.WireDType, plan.Options.Wire.ToString());
        span.SetTag(AttributeNames.Silo, silo);
        if (resuming) span.SetTag(AttributeNames.Layer, record.LayersCompleted);
        return span;
    }

    /// <summary>Ends a run: its outcome on the span, and, when the job has ended, its duration and tokens in the metrics.</summary>
    public static void End(Activity? span, JobRecord record)
    {
        var outcome = record.State.ToString().ToLowerInvariant();
        span?.SetTag(AttributeNames.Outcome, outcome);
        span?.SetTag(AttributeNames.Bytes, record.BytesByCollective.Values.Sum());
        if (!record.Ended || record.Plan is not { } plan) return;
        var kind = new KeyValuePair<string, object?>(AttributeNames.JobKind, plan.Kind.ToString().ToLowerInvariant());
        if (record.StartedUtc is { } started && record.EndedUtc is { } ended)
            JobMetrics.JobDuration.Record((ended - started).TotalSeconds, kind, new KeyValuePair<string, object?>(AttributeNames.Outcome, outcome));
        if (record.State == JobState.Completed) JobMetrics.TokensProcessed.Add(plan.Work.Length, kind);
    }

    /// <summary>Starts a coordinator phase's span ("prepare", "layer 3").</summary>
    public static Activity? StartPhase(string name, int? layer)
    {
        var span = Telemetry.Start(SpanNames.Phase, name);
        span?.SetTag(AttributeNames.Phase, name);
        if (layer is { } l) span?.SetTag(AttributeNames.Layer, l);
        return span;
    }

    /// <summary>
    /// A layer completed on every shard: on its span, the shard the others waited for (it waited
    /// least) and the longest wait, per shard its seconds and wait as events; the same in the metrics.
    /// </summary>
    public static void LayerDone(Activity? span, LayerReport[] reports, int attempt)
    {
        if (reports.Length == 0) return;
        var straggler = reports.MinBy(r => r.WaitSeconds)!;
        var longestWait = reports.Max(r => r.WaitSeconds);
        var seconds = reports.Max(r => r.Seconds);
        JobMetrics.LayerDuration.Record(seconds);
        JobMetrics.StragglerWait.Record(longestWait);
        if (span is null) return;
        span.SetTag(AttributeNames.Attempt, attempt);
        span.SetTag(AttributeNames.StragglerShard, straggler.Shard);
        span.SetTag(AttributeNames.StragglerWaitSeconds, longestWait);
        span.SetTag(AttributeNames.Bytes, reports.Sum(r => r.BytesSent.Values.Sum()));
        foreach (var r in reports.OrderBy(r => r.Shard))
        {
            span.AddEvent(new ActivityEvent("shard done", tags: new ActivityTagsCollection
            {
                [AttributeNames.Shard] = r.Shard,
                [AttributeNames.Silo] = r.Silo,
                ["distattn.seconds"] = r.Seconds,
                [AttributeNames.WaitSeconds] = r.WaitSeconds,
                [AttributeNames.TransferSeconds] = r.TransferSeconds,
            }));
        }
    }

    /// <summary>A lost shard was restored: an event on the recovery span.</summary>
    public static void Restored(Activity? span, RecoveryEvent recovered)
    {
        span?.AddEvent(new ActivityEvent("shard restored", tags: new ActivityTagsCollection
        {
            [AttributeNames.Shard] = recovered.Shard,
            [AttributeNames.Layer] = recovered.Layer,
            ["distattn.lost.silo"] = recovered.LostSilo,
            [AttributeNames.Silo] = recovered.NewSilo,
            ["distattn.source"] = recovered.Source,
        }));
    }

    private static string Mechanisms(JobWork work) => work switch
    {
        ModelWork m => string.Join(",", m.Model.LayerAttention.Select(a => a.Kind.ToString().ToLowerInvariant()).Distinct()),
        AttentionWork a => a.Spec.Kind.ToString().ToLowerInvariant(),
        PretrainedWork p => string.Join(",", p.Model.SlidingWindows.Select(w => w is null ? "full" : "sliding").Distinct()),
        _ => "",
    };
}
