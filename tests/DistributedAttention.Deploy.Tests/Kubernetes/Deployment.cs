namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>The names the manifests are built around (k8s/README.md).</summary>
internal static class Deployment
{
    public const string Namespace = "distattn";
    public const string Silo = "distattn-silo";
    public const string Api = "distattn-api";
    public const string Redis = "distattn-redis";
    public const string Dashboard = "distattn-dashboard";
    public const string Gateway = "distattn-gateway";
    public const string RedisSecret = "distattn-redis";
    public const string DashboardSecret = "distattn-dashboard";
    public const string ApiSecret = "distattn-api";

    /// <summary>Ports of the deployment contract.</summary>
    public const int SiloPort = 11111, GatewayPort = 30000, HttpPort = 8080, RedisPort = 6379;

    /// <summary>The Aspire dashboard's ports.</summary>
    public const int DashboardUi = 18888, DashboardOtlpGrpc = 18889, DashboardOtlpHttp = 18890;

    /// <summary>The official Redis image the bundled Redis runs.</summary>
    public const string RedisImage = "redis:7";

    /// <summary>The uid the official Redis image runs as; ours run as 10001.</summary>
    public const long RedisUid = 999, AppUid = 10001;

    /// <summary>The namespace label that lets Prometheus in (an assumption the README documents).</summary>
    public const string PrometheusNamespaceLabel = "distributed-attention/prometheus", PrometheusNamespaceValue = "allowed";

    /// <summary>Orleans' shutdown after the drain, which the grace period must also cover.</summary>
    public static readonly TimeSpan ShutdownAllowance = TimeSpan.FromSeconds(30);
}
