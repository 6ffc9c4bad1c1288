using System.Diagnostics;

namespace DistributedAttention.Diagnostics;

/// <summary>
/// A job's trace context as a W3C traceparent string, so that it can be persisted with the job
/// and handed between processes: the client's job span, the coordinator's run (also after it
/// moves to another silo) and the shards all join one trace.
/// </summary>
public static class JobTrace
{
    /// <summary>Key under which a client puts its job span's traceparent into the Orleans request context.</summary>
    public const string RequestContextKey = "distattn.job.traceparent";

    /// <summary>The traceparent of <paramref name="activity"/>; a new random one (a new trace) when it is null or not W3C.</summary>
    public static string TraceParentOf(Activity? activity)
    {
        if (activity is { IdFormat: ActivityIdFormat.W3C, Id: { } id }) return id;
        var context = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        return Format(context);
    }

    /// <summary>The context <paramref name="traceParent"/> names; default when it is empty or malformed.</summary>
    public static ActivityContext Parse(string? traceParent) =>
        !string.IsNullOrEmpty(traceParent) && ActivityContext.TryParse(traceParent, null, isRemote: true, out var context) ? context : default;

    /// <summary>The 32-hex-digit trace id of <paramref name="traceParent"/>; empty when there is none.</summary>
    public static string TraceIdOf(string? traceParent)
    {
        var context = Parse(traceParent);
        return context == default ? "" : context.TraceId.ToHexString();
    }

    /// <summary>W3C traceparent of <paramref name="context"/>.</summary>
    public static string Format(ActivityContext context) =>
        $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{((context.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00")}";
}
