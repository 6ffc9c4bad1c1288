namespace DistributedAttention.Cli.Dashboard;

/// <summary>
/// The loopback ports the Aspire dashboard listens on; null or 0 picks a free port.
/// </summary>
/// <param name="Ui">The web UI and its read API (<c>/api/telemetry/…</c>).</param>
/// <param name="OtlpGrpc">OTLP over gRPC, where <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> points.</param>
/// <param name="OtlpHttp">OTLP over HTTP (protobuf or JSON on <c>/v1/traces</c>, …).</param>
public sealed record DashboardPorts(int? Ui, int? OtlpGrpc, int? OtlpHttp)
{
    /// <summary>The usual ports: UI 18888, OTLP gRPC 4317, OTLP HTTP 4318.</summary>
    public static DashboardPorts Default { get; } = new(18888, 4317, 4318);

    /// <summary>Three free ports, for tests and for a dashboard started beside a run.</summary>
    public static DashboardPorts Free { get; } = new(null, null, null);
}
