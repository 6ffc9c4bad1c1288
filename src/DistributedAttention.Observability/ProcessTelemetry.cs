using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace DistributedAttention.Observability;

/// <summary>A process's tracer and meter providers; disposing flushes what is pending and stops them.</summary>
public sealed class ProcessTelemetry : IDisposable
{
    private readonly TracerProvider? tracer;
    private readonly MeterProvider? meter;

    internal ProcessTelemetry(TracerProvider? tracer, MeterProvider? meter)
    {
        this.tracer = tracer;
        this.meter = meter;
    }

    /// <summary>Exports what is pending now (e.g. before a short command exits).</summary>
    public void Flush(TimeSpan timeout)
    {
        tracer?.ForceFlush((int)timeout.TotalMilliseconds);
        meter?.ForceFlush((int)timeout.TotalMilliseconds);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        tracer?.Dispose();
        meter?.Dispose();
    }
}
