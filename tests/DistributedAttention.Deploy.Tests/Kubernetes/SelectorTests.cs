using k8s.Models;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>Every selector selects the pods it is meant for, and only those.</summary>
public sealed class SelectorTests
{
    public static TheoryData<string> Overlays => [.. Rendered.Overlays];

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Workload_selectors_match_their_own_pods_and_no_others(string overlay)
    {
        var m = Rendered.Overlay(overlay);
        foreach (var w in m.Workloads)
        {
            Assert.True(LabelSelectors.Matches(w.Selector, w.Template.Metadata.Labels), $"{overlay}: {w.Id}'s selector does not match its pod template.");
            var others = m.Workloads.Where(o => o != w && LabelSelectors.Matches(w.Selector, o.Template.Metadata.Labels)).Select(o => o.Id).ToList();
            Assert.True(others.Count == 0, $"{overlay}: {w.Id}'s selector also matches {string.Join(", ", others)}.");
            foreach (var spread in w.Pod.TopologySpreadConstraints ?? [])
                Assert.True(LabelSelectors.Matches(spread.LabelSelector, w.Template.Metadata.Labels), $"{overlay}: {w.Id}'s topology spread does not count its own pods.");
        }
    }

    [Theory]
    [InlineData("cpu", Deployment.Api, Deployment.Api)]
    [InlineData("cpu", Deployment.Gateway, Deployment.Silo)]
    [InlineData("cpu", Deployment.Silo, Deployment.Silo)]
    [InlineData("cpu", Deployment.Redis, Deployment.Redis)]
    [InlineData("cpu", Deployment.Dashboard, Deployment.Dashboard)]
    [InlineData("gpu", Deployment.Api, Deployment.Api)]
    [InlineData("gpu", Deployment.Gateway, Deployment.Silo)]
    [InlineData("gpu", Deployment.Silo, Deployment.Silo)]
    [InlineData("gpu", Deployment.Redis, Deployment.Redis)]
    [InlineData("gpu", Deployment.Dashboard, Deployment.Dashboard)]
    public void Each_service_selects_exactly_its_workload(string overlay, string service, string workload)
    {
        var m = Rendered.Overlay(overlay);
        var selected = m.Selected(m.Get<V1Service>(service).Spec.Selector).Select(w => w.Name).ToList();
        Assert.Equal([workload], selected);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void No_service_is_left_without_pods(string overlay)
    {
        var m = Rendered.Overlay(overlay);
        foreach (var s in m.All<V1Service>())
            Assert.True(m.Selected(s.Spec.Selector).Any(), $"{overlay}: Service {s.Metadata.Name} selects no pods.");
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_disruption_budget_covers_exactly_the_silos(string overlay)
    {
        var m = Rendered.Overlay(overlay);
        var pdb = m.Get<V1PodDisruptionBudget>(Deployment.Silo);
        Assert.Equal([Deployment.Silo], m.Selected(pdb.Spec.Selector).Select(w => w.Name));
        Assert.True(pdb.Spec.MaxUnavailable?.Value == "1" || pdb.Spec.MinAvailable is not null, $"{overlay}: the silo PDB sets no budget.");
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Network_policies_select_existing_pods(string overlay)
    {
        var m = Rendered.Overlay(overlay);
        foreach (var policy in m.All<V1NetworkPolicy>())
        {
            Assert.True(m.Selected(policy.Spec.PodSelector).Any(), $"{overlay}: NetworkPolicy {policy.Metadata.Name} selects no pods.");
            foreach (var peer in (policy.Spec.Ingress ?? []).SelectMany(r => r.FromProperty ?? []))
            {
                // A pod selector within this namespace must name pods that exist here.
                if (peer.PodSelector is not null && peer.NamespaceSelector is null)
                    Assert.True(m.Selected(peer.PodSelector).Any(), $"{overlay}: NetworkPolicy {policy.Metadata.Name} lets in pods that no workload makes.");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_redis_statefulset_is_governed_by_an_existing_service(string overlay)
    {
        var m = Rendered.Overlay(overlay);
        var redis = m.Get<V1StatefulSet>(Deployment.Redis);
        var service = m.Get<V1Service>(redis.Spec.ServiceName);
        Assert.Equal([Deployment.Redis], m.Selected(service.Spec.Selector).Select(w => w.Name));
        var claim = Assert.Single(redis.Spec.VolumeClaimTemplates);
        Assert.Contains(redis.Spec.Template.Spec.Containers.Single().VolumeMounts, v => v.Name == claim.Metadata.Name && v.MountPath == "/data");
    }
}
