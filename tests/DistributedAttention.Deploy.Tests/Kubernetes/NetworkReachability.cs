using System.Globalization;
using k8s.Models;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>A pod that opens a connection: its namespace's labels and its own.</summary>
/// <param name="Description">For messages.</param>
/// <param name="Namespace">Its namespace.</param>
/// <param name="NamespaceLabels">Its namespace's labels.</param>
/// <param name="PodLabels">Its labels.</param>
internal sealed record NetworkPeer(string Description, string Namespace, IDictionary<string, string> NamespaceLabels, IDictionary<string, string> PodLabels)
{
    /// <summary>A pod of <paramref name="workload"/> in <paramref name="ns"/>.</summary>
    public static NetworkPeer Of(Workload workload, string ns) =>
        new(workload.Name, ns, new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = ns }, workload.Template.Metadata.Labels);

    /// <summary>A pod in a namespace of <paramref name="ns"/> with <paramref name="namespaceLabels"/> (the automatic name label added).</summary>
    public static NetworkPeer Elsewhere(string description, string ns, IDictionary<string, string>? namespaceLabels = null) =>
        new(description, ns,
            new Dictionary<string, string>(namespaceLabels ?? new Dictionary<string, string>()) { ["kubernetes.io/metadata.name"] = ns },
            new Dictionary<string, string> { ["app"] = description });
}

/// <summary>
/// NetworkPolicy ingress semantics: a pod selected by no ingress policy accepts everything; a pod
/// selected by some accepts what any rule of any of them allows (rules are additive).
/// </summary>
internal static class NetworkReachability
{
    /// <summary>Whether <paramref name="from"/> may open a TCP connection to <paramref name="port"/> of <paramref name="to"/>'s pods.</summary>
    public static bool Allowed(RenderedManifests manifests, NetworkPeer from, Workload to, string toNamespace, int port)
    {
        var policies = manifests.All<V1NetworkPolicy>()
            .Where(p => p.Metadata.NamespaceProperty == toNamespace)
            .Where(p => p.Spec.PolicyTypes is null || p.Spec.PolicyTypes.Contains("Ingress"))
            .Where(p => LabelSelectors.Matches(p.Spec.PodSelector, to.Template.Metadata.Labels))
            .ToList();
        if (policies.Count == 0) return true;
        return policies.Any(p => (p.Spec.Ingress ?? []).Any(rule => FromMatches(rule, from, toNamespace) && PortMatches(rule, to, port)));
    }

    private static bool FromMatches(V1NetworkPolicyIngressRule rule, NetworkPeer from, string policyNamespace)
    {
        if (rule.FromProperty is null || rule.FromProperty.Count == 0) return true;
        return rule.FromProperty.Any(peer =>
        {
            if (peer.IpBlock is not null) throw new NotSupportedException("ipBlock peers are not modelled by this check.");
            var namespaceOk = peer.NamespaceSelector is null
                ? from.Namespace == policyNamespace
                : LabelSelectors.Matches(peer.NamespaceSelector, from.NamespaceLabels);
            var podOk = peer.PodSelector is null || LabelSelectors.Matches(peer.PodSelector, from.PodLabels);
            return namespaceOk && podOk;
        });
    }

    private static bool PortMatches(V1NetworkPolicyIngressRule rule, Workload to, int port)
    {
        if (rule.Ports is null || rule.Ports.Count == 0) return true;
        return rule.Ports.Any(p =>
        {
            if ((p.Protocol ?? "TCP") != "TCP") return false;
            if (p.Port is null) return true;
            var text = p.Port.Value;
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                return p.EndPort is { } end ? port >= number && port <= end : port == number;
            return to.NamedPort(text)?.ContainerPort == port;
        });
    }
}
