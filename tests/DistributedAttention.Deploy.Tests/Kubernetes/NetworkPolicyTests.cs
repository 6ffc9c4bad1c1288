using k8s.Models;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>
/// Who may connect to which port, computed from the rendered NetworkPolicies for every pair of
/// pods in the namespace and for a pod elsewhere and Prometheus, against the intended table.
/// </summary>
public sealed class NetworkPolicyTests
{
    private const string Outside = "outside", Prometheus = "prometheus";

    // (source, destination workload, port) that must be allowed; every other combination must be refused.
    private static readonly HashSet<(string From, string To, int Port)> Intended =
    [
        (Deployment.Silo, Deployment.Silo, Deployment.SiloPort),
        (Deployment.Silo, Deployment.Silo, Deployment.GatewayPort),
        (Deployment.Api, Deployment.Silo, Deployment.GatewayPort),
        (Prometheus, Deployment.Silo, Deployment.HttpPort),
        (Deployment.Silo, Deployment.Redis, Deployment.RedisPort),
        (Deployment.Api, Deployment.Redis, Deployment.RedisPort),
        (Deployment.Silo, Deployment.Dashboard, Deployment.DashboardOtlpGrpc),
        (Deployment.Silo, Deployment.Dashboard, Deployment.DashboardOtlpHttp),
        (Deployment.Api, Deployment.Dashboard, Deployment.DashboardOtlpGrpc),
        (Deployment.Api, Deployment.Dashboard, Deployment.DashboardOtlpHttp),
        .. Everyone(Deployment.Api, Deployment.HttpPort),
        .. Everyone(Deployment.Dashboard, Deployment.DashboardUi),
    ];

    public static TheoryData<string> Overlays => [.. Rendered.Overlays];

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Only_the_intended_connections_are_allowed(string overlay) => AssertTable(Rendered.Overlay(overlay));

    [Fact]
    public void Without_the_bundled_redis_the_rest_of_the_table_holds() =>
        AssertTable(Rendered.Variant("cpu", remove: [], add: ["external-redis"]));

    [Theory]
    [MemberData(nameof(Overlays))]
    public void A_default_deny_policy_covers_every_pod(string overlay)
    {
        var m = Rendered.Overlay(overlay);
        var deny = m.All<V1NetworkPolicy>().Where(p => p.Spec.PodSelector.MatchLabels is null or { Count: 0 } && p.Spec.PodSelector.MatchExpressions is null or { Count: 0 });
        Assert.Contains(deny, p => p.Spec.PolicyTypes.Contains("Ingress") && (p.Spec.Ingress is null || p.Spec.Ingress.Count == 0));
    }

    [Fact]
    public void The_table_check_can_fail()
    {
        // With the policies taken away everything is open, which the table must refuse.
        var m = Rendered.Overlay("cpu");
        var open = RenderedManifests.Parse("open", string.Join("---\n", m.Objects.Where(o => o.Kind != "NetworkPolicy").Select(o => o.Document)));
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertTable(open));
    }

    private static void AssertTable(RenderedManifests m)
    {
        var ns = Deployment.Namespace;
        var sources = m.Workloads.Select(w => NetworkPeer.Of(w, ns)).Append(NetworkPeer.Elsewhere(Outside, "elsewhere"))
            .Append(NetworkPeer.Elsewhere(Prometheus, "monitoring", new Dictionary<string, string> { [Deployment.PrometheusNamespaceLabel] = Deployment.PrometheusNamespaceValue }))
            .ToList();
        var wrong = new List<string>();
        foreach (var to in m.Workloads)
        {
            foreach (var port in to.Pod.Containers.SelectMany(c => c.Ports ?? []).Select(p => p.ContainerPort))
            {
                foreach (var from in sources)
                {
                    var allowed = NetworkReachability.Allowed(m, from, to, ns, port);
                    var intended = Intended.Contains((from.Description, to.Name, port));
                    if (allowed != intended) wrong.Add($"{from.Description} -> {to.Name}:{port} is {(allowed ? "allowed" : "refused")}");
                }
            }
        }
        Assert.True(wrong.Count == 0, $"{m.Target}: {string.Join("; ", wrong)}.");
    }

    private static IEnumerable<(string, string, int)> Everyone(string to, int port) =>
        new[] { Deployment.Silo, Deployment.Api, Deployment.Redis, Deployment.Dashboard, Outside, Prometheus }.Select(from => (from, to, port));
}
