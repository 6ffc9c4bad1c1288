using k8s.Models;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>Every overlay renders, and every object in it is a well-formed object of a known kind.</summary>
public sealed class RenderingTests
{
    public static TheoryData<string> Overlays => [.. Rendered.Overlays];

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Overlay_renders_into_known_objects_in_the_namespace(string overlay)
    {
        var m = Rendered.Overlay(overlay);

        Assert.Contains(m.Objects, o => o.Kind == "Namespace" && o.Name == Deployment.Namespace);
        foreach (var o in m.Objects.Where(o => !ManifestKinds.ClusterScoped.Contains(o.Kind)))
            Assert.True(o.Namespace == Deployment.Namespace, $"{overlay}: {o.Id} is in namespace '{o.Namespace}'.");
        var duplicates = m.Objects.GroupBy(o => (o.Kind, o.Name)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, $"{overlay}: duplicate objects {string.Join(", ", duplicates)}.");
        foreach (var name in new[] { Deployment.Silo, Deployment.Api, Deployment.Dashboard })
            Assert.True(m.Has<V1Deployment>(name), $"{overlay}: no Deployment {name}.");
        Assert.True(m.Has<V1StatefulSet>(Deployment.Redis), $"{overlay}: no StatefulSet {Deployment.Redis}.");
        Assert.True(m.Has<V1PodDisruptionBudget>(Deployment.Silo), $"{overlay}: no PodDisruptionBudget for the silos.");
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_object_and_pod_carries_the_common_labels(string overlay)
    {
        var m = Rendered.Overlay(overlay);
        foreach (var o in m.Objects)
        {
            var labels = o.Raw.Mapping("metadata")!.Mapping("labels");
            Assert.True(labels?.Scalar("app.kubernetes.io/part-of") == "distributed-attention", $"{overlay}: {o.Id} lacks app.kubernetes.io/part-of.");
        }
        foreach (var named in m.All<V1Service>().Select(s => (s.Kind, s.Metadata)).Concat(m.Workloads.Select(w => (w.Kind, w.Template.Metadata))))
        {
            foreach (var key in new[] { "app.kubernetes.io/name", "app.kubernetes.io/component", "app.kubernetes.io/part-of" })
                Assert.True(named.Metadata.Labels?.ContainsKey(key) == true, $"{overlay}: {named.Kind} {named.Metadata.Name} lacks {key}.");
        }
    }

    [Fact]
    public void The_parser_refuses_unknown_and_mistyped_fields()
    {
        // Proof that the strict parse above can fail: the rendered silo Deployment with one field misspelt or mistyped.
        var m = Rendered.Overlay("cpu");
        var silo = m.Objects.Single(o => o.Kind == "Deployment" && o.Name == Deployment.Silo);
        var yaml = silo.Document;
        RenderedManifests.ParseTyped("cpu", "apps/v1/Deployment", Deployment.Silo, yaml);

        var misspelt = yaml.Replace("terminationGracePeriodSeconds:", "terminationGracePeriodSecond:", StringComparison.Ordinal);
        Assert.NotEqual(yaml, misspelt);
        Assert.Throws<InvalidDataException>(() => RenderedManifests.ParseTyped("cpu", "apps/v1/Deployment", Deployment.Silo, misspelt));

        var mistyped = System.Text.RegularExpressions.Regex.Replace(yaml, @"terminationGracePeriodSeconds: \d+", "terminationGracePeriodSeconds: three minutes");
        Assert.NotEqual(yaml, mistyped);
        Assert.Throws<InvalidDataException>(() => RenderedManifests.ParseTyped("cpu", "apps/v1/Deployment", Deployment.Silo, mistyped));

        var extraInContainer = yaml.Replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: true\n          readOnlyRootFileSystem: true", StringComparison.Ordinal);
        Assert.NotEqual(yaml, extraInContainer);
        Assert.Throws<InvalidDataException>(() => RenderedManifests.ParseTyped("cpu", "apps/v1/Deployment", Deployment.Silo, extraInContainer));
    }

    [Fact]
    public void A_kind_without_a_model_or_a_check_is_refused()
    {
        const string yaml = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: distattn\n";
        Assert.Throws<InvalidDataException>(() => RenderedManifests.Parse("inline", yaml));
    }

    [Fact]
    public void Every_resource_quantity_parses_and_requests_stay_within_limits()
    {
        foreach (var overlay in Rendered.Overlays)
        {
            foreach (var w in Rendered.Overlay(overlay).Workloads)
            {
                foreach (var c in w.AllContainers)
                {
                    var requests = c.Resources?.Requests ?? new Dictionary<string, ResourceQuantity>();
                    var limits = c.Resources?.Limits ?? new Dictionary<string, ResourceQuantity>();
                    Assert.True(requests.ContainsKey("cpu") && requests.ContainsKey("memory"), $"{overlay}: {w.Id}/{c.Name} requests no cpu or memory.");
                    Assert.True(limits.ContainsKey("cpu") && limits.ContainsKey("memory"), $"{overlay}: {w.Id}/{c.Name} limits no cpu or memory.");
                    foreach (var (resource, request) in requests)
                    {
                        if (limits.TryGetValue(resource, out var limit))
                            Assert.True(request.ToDecimal() <= limit.ToDecimal(), $"{overlay}: {w.Id}/{c.Name} requests more {resource} ({request}) than its limit ({limit}).");
                    }
                }
            }
        }
    }
}
