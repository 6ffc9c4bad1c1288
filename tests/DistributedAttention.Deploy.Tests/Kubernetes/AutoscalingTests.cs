using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.CompilerServices;
using DistributedAttention.Diagnostics;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>
/// The silos scale on the pending-tokens gauge the silos export: KEDA in the gpu overlay, a plain
/// HPA as the alternative; out at once, in slowly, one drained silo at a time.
/// </summary>
public sealed class AutoscalingTests
{
    /// <summary>The gauge's name in code (JobMetrics); Prometheus replaces the dots.</summary>
    private const string PendingTokensGauge = "distattn.tokens.pending";

    internal static string PrometheusMetric => PrometheusName;

    private static string PrometheusName => PendingTokensGauge.Replace('.', '_');

    [Fact]
    public void The_pending_tokens_gauge_exists_and_keeps_its_name_on_prometheus()
    {
        Instrument? found = null;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == Telemetry.Meter.Name && instrument.Name == PendingTokensGauge) found = instrument;
            },
        };
        RuntimeHelpers.RunClassConstructor(typeof(JobMetrics).TypeHandle);
        listener.Start(); // reports the instruments already published
        Assert.True(found is not null, $"JobMetrics publishes no instrument {PendingTokensGauge}: the autoscalers' query would find nothing.");
        // A gauge gets no _total suffix, and a unit in braces no unit suffix, so the Prometheus name is the dotted name with underscores.
        Assert.Equal(typeof(ObservableGauge<long>), found.GetType());
        Assert.Matches(@"^\{.*\}$", found.Unit ?? "");
    }

    [Fact]
    public void The_gpu_overlay_scales_with_keda_on_pending_tokens()
    {
        var m = Rendered.Overlay("gpu");
        Assert.Empty(m.All<V2HorizontalPodAutoscaler>());
        var scaled = KedaScaledObject.Read(Assert.Single(m.Custom(ManifestKinds.ScaledObject)));
        Assert.Equal(("Deployment", Deployment.Silo), (scaled.TargetKind, scaled.TargetName));
        Assert.True(m.Has<V1Deployment>(scaled.TargetName));
        Assert.InRange(scaled.MinReplicas, 2, scaled.MaxReplicas);

        var trigger = Assert.Single(scaled.Triggers);
        Assert.Equal("prometheus", trigger.Type);
        Assert.True(Uri.TryCreate(trigger.Metadata["serverAddress"], UriKind.Absolute, out var server) && server.Scheme is "http" or "https");
        var query = trigger.Metadata["query"];
        Assert.StartsWith("sum(", query, StringComparison.Ordinal);
        Assert.Matches($@"\b{PrometheusName}\b", query);
        Assert.True(decimal.Parse(trigger.Metadata["threshold"], NumberStyles.Number, CultureInfo.InvariantCulture) > 0);
        AssertFastOutSlowIn(m, scaled.Behavior);
        Assert.Null(m.Get<V1Deployment>(Deployment.Silo).Spec.Replicas);
    }

    [Fact]
    public void Swapping_keda_for_the_hpa_component_scales_on_the_same_metric()
    {
        var m = Rendered.Variant("gpu", remove: ["keda"], add: ["hpa"]);
        Assert.Empty(m.Custom(ManifestKinds.ScaledObject));
        var hpa = Assert.Single(m.All<V2HorizontalPodAutoscaler>());
        Assert.Equal(("apps/v1", "Deployment", Deployment.Silo), (hpa.Spec.ScaleTargetRef.ApiVersion, hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name));
        Assert.InRange(hpa.Spec.MinReplicas ?? 1, 2, hpa.Spec.MaxReplicas);
        var metric = Assert.Single(hpa.Spec.Metrics);
        var name = metric.Type switch
        {
            "External" => metric.External.Metric.Name,
            "Pods" => metric.Pods.Metric.Name,
            _ => throw new InvalidDataException($"The HPA scales on a {metric.Type} metric."),
        };
        Assert.Equal(PrometheusName, name);
        var target = metric.External?.Target ?? metric.Pods.Target;
        Assert.Equal("AverageValue", target.Type);
        Assert.True(target.AverageValue.ToDecimal() > 0);
        AssertFastOutSlowIn(m, hpa.Spec.Behavior);
        Assert.Null(m.Get<V1Deployment>(Deployment.Silo).Spec.Replicas);
    }

    [Fact]
    public void The_cpu_overlay_has_a_fixed_silo_count_and_no_autoscaler()
    {
        var m = Rendered.Overlay("cpu");
        Assert.Empty(m.All<V2HorizontalPodAutoscaler>());
        Assert.Empty(m.Custom(ManifestKinds.ScaledObject));
        Assert.True(m.Get<V1Deployment>(Deployment.Silo).Spec.Replicas >= 2);
    }

    [Fact]
    public void The_example_adapter_rule_serves_the_metric_the_hpa_asks_for()
    {
        var stream = new YamlStream();
        using (var reader = File.OpenText(Path.Combine(RepositoryPaths.K8s, "components", "hpa", "prometheus-adapter-rules.yaml"))) stream.Load(reader);
        var rule = (YamlMappingNode)Assert.Single(((YamlMappingNode)stream.Documents.Single().RootNode).Mapping("rules")!.Sequence("external")!);
        Assert.StartsWith(PrometheusName + "{", rule.Required("seriesQuery"), StringComparison.Ordinal);
        Assert.Equal(PrometheusName, rule.Mapping("name")!.Required("as"));
        Assert.StartsWith("sum(", rule.Required("metricsQuery"), StringComparison.Ordinal);
    }

    private static void AssertFastOutSlowIn(RenderedManifests m, V2HorizontalPodAutoscalerBehavior? behavior)
    {
        Assert.NotNull(behavior);
        Assert.Equal(0, behavior.ScaleUp?.StabilizationWindowSeconds ?? 0);
        var down = behavior.ScaleDown ?? throw new InvalidDataException($"{m.Target}: no scale-down behaviour (the default drops silos fast).");
        Assert.True(down.StabilizationWindowSeconds >= 300, $"{m.Target}: scale-in stabilisation {down.StabilizationWindowSeconds} s is under 300 s.");
        var grace = m.Workload(Deployment.Silo).Pod.TerminationGracePeriodSeconds ?? 30;
        Assert.NotEmpty(down.Policies);
        foreach (var policy in down.Policies)
        {
            Assert.Equal(("Pods", 1), (policy.Type, policy.Value));
            // One silo per period, and a period long enough for the previous one to drain and leave.
            Assert.True(policy.PeriodSeconds >= grace, $"{m.Target}: scale-in period {policy.PeriodSeconds} s is shorter than the silo's grace period {grace} s.");
        }
    }
}
