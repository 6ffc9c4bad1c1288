using System.Diagnostics;
using DistributedAttention.Abstractions;
using DistributedAttention.Diagnostics;

namespace DistributedAttention.Client;

/// <summary>The client's spans of a job: the job itself (the parent of the coordinator's run) and its client phases.</summary>
internal static class ClientSpans
{
    /// <summary>Starts the span of job <paramref name="jobId"/> under the caller's span (a CLI command, an HTTP request).</summary>
    public static Activity? StartJob(string jobId, JobWork? work, bool attached)
    {
        var span = Telemetry.Start(SpanNames.Job, attached ? $"job {jobId} (attached)" : $"job {jobId}", ActivityKind.Client);
        if (span is null) return null;
        span.SetTag(AttributeNames.JobId, jobId);
        if (work is not null)
        {
            span.SetTag(AttributeNames.JobKind, work.Kind.ToString().ToLowerInvariant());
            span.SetTag(AttributeNames.Tokens, work.Length);
            span.SetTag(AttributeNames.Layers, work.Layers);
        }
        return span;
    }

    /// <summary>Starts a client phase's span ("upload", "wait", "download").</summary>
    public static Activity? StartPhase(string name)
    {
        var span = Telemetry.Start(SpanNames.ClientPhase, name);
        span?.SetTag(AttributeNames.Phase, name);
        return span;
    }

    /// <summary>Sets the job's outcome on its span.</summary>
    public static void End(Activity? span, JobStatus? status, Exception? error)
    {
        if (span is null) return;
        if (status is not null)
        {
            span.SetTag(AttributeNames.Outcome, status.State.ToString().ToLowerInvariant());
            span.SetTag(AttributeNames.Shards, status.Shards.Length);
            span.SetTag(AttributeNames.Bytes, status.BytesByCollective.Values.Sum());
        }
        if (error is not null) span.Fail(error);
    }
}
