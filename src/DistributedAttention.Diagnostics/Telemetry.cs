using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DistributedAttention.Diagnostics;

/// <summary>
/// The project's one <see cref="ActivitySource"/> and one <see cref="Meter"/>. Spans and
/// measurements cost nothing until a listener (an OpenTelemetry provider) subscribes to them.
/// </summary>
public static class Telemetry
{
    /// <summary>Name of the activity source and of the meter.</summary>
    public const string Name = "DistributedAttention";

    /// <summary>Every span the project makes.</summary>
    public static ActivitySource Source { get; } = new(Name, typeof(Telemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Every metric the project records (see <see cref="JobMetrics"/>).</summary>
    public static Meter Meter { get; } = new(Name, typeof(Telemetry).Assembly.GetName().Version?.ToString());

    /// <summary>
    /// Starts span <paramref name="operation"/> shown as <paramref name="displayName"/>, under the
    /// current span, or under <paramref name="parent"/> when given. Null when nothing listens.
    /// </summary>
    /// <param name="operation">Stable name (<see cref="SpanNames"/>), what tests and queries match.</param>
    /// <param name="displayName">What a trace view shows (e.g. "layer 3").</param>
    /// <param name="kind">The span's kind.</param>
    /// <param name="parent">An explicit parent (a persisted job context); the current span when default.</param>
    public static Activity? Start(string operation, string? displayName = null, ActivityKind kind = ActivityKind.Internal, ActivityContext parent = default)
    {
        var activity = parent == default
            ? Source.StartActivity(operation, kind)
            : Source.StartActivity(operation, kind, parent);
        if (activity is not null && displayName is not null) activity.DisplayName = displayName;
        return activity;
    }

    /// <summary>Marks <paramref name="activity"/> failed with <paramref name="error"/>'s message (no-op on null).</summary>
    public static void Fail(this Activity? activity, Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (activity is null) return;
        activity.SetStatus(ActivityStatusCode.Error, error.Message);
        activity.AddException(error);
    }

    /// <summary>Adds <paramref name="amount"/> to the numeric tag <paramref name="name"/> (thread-safe; hops of one collective complete on several threads).</summary>
    public static void AddToTag(this Activity? activity, string name, double amount)
    {
        if (activity is null) return;
        lock (activity)
        {
            var current = activity.GetTagItem(name) switch
            {
                double d => d,
                long l => l,
                _ => 0.0,
            };
            activity.SetTag(name, current + amount);
        }
    }

    /// <summary>Adds <paramref name="amount"/> to the integer tag <paramref name="name"/> (thread-safe).</summary>
    public static void AddToTag(this Activity? activity, string name, long amount)
    {
        if (activity is null) return;
        lock (activity)
        {
            var current = activity.GetTagItem(name) is long l ? l : 0L;
            activity.SetTag(name, current + amount);
        }
    }
}
