using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace DistributedAttention.Cli.Tests.Dashboard;

/// <summary>Spans sent the way distattn will send them: the OpenTelemetry .NET SDK and its OTLP exporter.</summary>
internal static class TestSpans
{
    /// <summary>
    /// The test collection of every test that sends spans: a tracer provider listens to every
    /// ActivitySource named "test" in the process, so tests running side by side would send each
    /// other's spans to their dashboards.
    /// </summary>
    public const string Collection = "spans from ActivitySource test";

    private const string SourceName = "test";

    /// <summary>
    /// Sends one span <paramref name="spanName"/> of service <paramref name="serviceName"/> to
    /// <paramref name="endpoint"/> and returns its trace id. For <see cref="OtlpExportProtocol.HttpProtobuf"/>
    /// the endpoint is the OTLP/HTTP base (…/v1/traces is added).
    /// </summary>
    public static string Send(Uri endpoint, string serviceName, string spanName, OtlpExportProtocol protocol = OtlpExportProtocol.Grpc)
    {
        using var source = new ActivitySource(SourceName);
        using var provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(SourceName)
            .ConfigureResource(r => r.AddService(serviceName))
            .AddOtlpExporter(o =>
            {
                o.Protocol = protocol;
                o.Endpoint = protocol == OtlpExportProtocol.Grpc ? endpoint : new Uri(endpoint, "v1/traces");
                // Exported when the span ends: nothing waits on a batch timer.
                o.ExportProcessorType = ExportProcessorType.Simple;
            })
            .Build();
        string traceId;
        // A root span: the test's own ambient activity (if any) must not become its parent.
        Activity.Current = null;
        using (var activity = source.StartActivity(spanName, ActivityKind.Internal))
        {
            Assert.True(activity is not null, $"no listener sampled span '{spanName}'.");
            activity.SetTag("distattn.test", true);
            traceId = activity.TraceId.ToHexString();
        }
        Assert.True(provider.ForceFlush(10_000), $"the OTLP exporter did not flush span '{spanName}' to {endpoint} within 10 s.");
        return traceId;
    }
}
