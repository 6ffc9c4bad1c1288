using DistributedAttention.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace DistributedAttention.Observability;

/// <summary>
/// What a DistributedAttention process traces and measures, and where it sends it. Export is
/// configured only by the standard OpenTelemetry environment variables
/// (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, <c>…_PROTOCOL</c>, <c>…_HEADERS</c>, <c>OTEL_SERVICE_NAME</c>,
/// <c>OTEL_RESOURCE_ATTRIBUTES</c>); with no endpoint there is no exporter and no listener, so
/// spans are never even created.
/// </summary>
public static class TelemetrySetup
{
    /// <summary>Orleans' activity sources (all of them; the sampler drops the per-message ones).</summary>
    public const string OrleansSources = "Microsoft.Orleans.*";

    /// <summary>Orleans' meter.</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>Whether the environment names an OTLP endpoint (for traces, metrics or both).</summary>
    public static bool OtlpConfigured =>
        !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"))
        || !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        || !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"));

    /// <summary>
    /// The resource every span and metric carries: <paramref name="serviceName"/> unless
    /// <c>OTEL_SERVICE_NAME</c> names another, plus <c>OTEL_RESOURCE_ATTRIBUTES</c>.
    /// </summary>
    public static ResourceBuilder Resource(string serviceName) => ConfigureResource(ResourceBuilder.CreateDefault(), serviceName);

    /// <summary>Adds the service name to <paramref name="resource"/> (see <see cref="Resource"/>).</summary>
    public static ResourceBuilder ConfigureResource(ResourceBuilder resource, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME")))
            resource.AddService(serviceName, serviceInstanceId: $"{Environment.MachineName}/{Environment.ProcessId}");
        return resource;
    }

    /// <summary>The project's and Orleans' spans, with <see cref="JobTraceSampler"/>; OTLP export when configured.</summary>
    public static TracerProviderBuilder AddDistributedAttentionTracing(this TracerProviderBuilder tracing)
    {
        ArgumentNullException.ThrowIfNull(tracing);
        tracing.AddSource(Telemetry.Name, OrleansSources).SetSampler(new JobTraceSampler());
        if (OtlpConfigured) tracing.AddOtlpExporter();
        return tracing;
    }

    /// <summary>The project's meter, Orleans' and the .NET runtime's; OTLP export when configured.</summary>
    public static MeterProviderBuilder AddDistributedAttentionMetrics(this MeterProviderBuilder metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        // The gauges exist from the start, not from the first job: an autoscaler reads 0, not nothing.
        JobMetrics.EnsureCreated();
        SiloMetrics.EnsureCreated();
        AdmissionMetrics.EnsureCreated();
        metrics.AddMeter(Telemetry.Name, OrleansMeter).AddRuntimeInstrumentation();
        if (OtlpConfigured) metrics.AddOtlpExporter();
        return metrics;
    }

    /// <summary>
    /// Telemetry for a whole process that has no web host (the CLI's commands): one tracer and
    /// one meter provider, however many silos the process hosts (several providers would export
    /// every span several times). Null when nothing is configured: no listener, no cost.
    /// </summary>
    /// <param name="serviceName">The service name, unless OTEL_SERVICE_NAME gives one.</param>
    /// <param name="tracing">More tracing configuration (e.g. a test's in-memory exporter); forces tracing on.</param>
    public static ProcessTelemetry? StartForProcess(string serviceName, Action<TracerProviderBuilder>? tracing = null)
    {
        if (!OtlpConfigured && tracing is null) return null;
        var tracer = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(Resource(serviceName)).AddDistributedAttentionTracing();
        tracing?.Invoke(tracer);
        var meter = OtlpConfigured ? Sdk.CreateMeterProviderBuilder().SetResourceBuilder(Resource(serviceName)).AddDistributedAttentionMetrics().Build() : null;
        return new ProcessTelemetry(tracer.Build(), meter);
    }
}
