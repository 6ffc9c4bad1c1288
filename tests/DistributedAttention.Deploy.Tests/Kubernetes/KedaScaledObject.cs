using System.Globalization;
using k8s;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>
/// A KEDA ScaledObject (keda.sh/v1alpha1), which has no KubernetesClient model: read from its YAML
/// tree with the fields of KEDA 2.x's schema allowed and required as KEDA does; its HPA behaviour
/// is the autoscaling/v2 type and is parsed strictly into that model.
/// </summary>
internal sealed record KedaScaledObject(
    string Name,
    string TargetKind,
    string TargetName,
    int MinReplicas,
    int MaxReplicas,
    V2HorizontalPodAutoscalerBehavior? Behavior,
    IReadOnlyList<KedaTrigger> Triggers)
{
    /// <summary>Reads <paramref name="o"/>; throws on a missing required field or an unknown one.</summary>
    public static KedaScaledObject Read(ManifestObject o)
    {
        if ($"{o.ApiVersion}/{o.Kind}" != ManifestKinds.ScaledObject) throw new InvalidDataException($"{o.Id} is not a {ManifestKinds.ScaledObject}.");
        var where = o.Id;
        o.Raw.OnlyKeys(where, "apiVersion", "kind", "metadata", "spec");
        var spec = o.Raw.Mapping("spec") ?? throw new InvalidDataException($"{where}: spec is required.");
        spec.OnlyKeys(where + " spec", "scaleTargetRef", "pollingInterval", "cooldownPeriod", "initialCooldownPeriod",
            "idleReplicaCount", "minReplicaCount", "maxReplicaCount", "fallback", "advanced", "triggers");

        var target = spec.Mapping("scaleTargetRef") ?? throw new InvalidDataException($"{where}: spec.scaleTargetRef is required.");
        target.OnlyKeys(where + " scaleTargetRef", "apiVersion", "kind", "name", "envSourceContainerName");
        var targetName = target.Required("name");

        V2HorizontalPodAutoscalerBehavior? behavior = null;
        if (spec.Mapping("advanced") is { } advanced)
        {
            advanced.OnlyKeys(where + " advanced", "horizontalPodAutoscalerConfig", "restoreToOriginalReplicaCount", "scalingModifiers");
            if (advanced.Mapping("horizontalPodAutoscalerConfig") is { } hpa)
            {
                hpa.OnlyKeys(where + " horizontalPodAutoscalerConfig", "name", "behavior");
                if (hpa.Mapping("behavior") is { } b) behavior = KubernetesYaml.Deserialize<V2HorizontalPodAutoscalerBehavior>(b.ToYaml(), strict: true);
            }
        }

        var triggers = spec.Sequence("triggers") ?? throw new InvalidDataException($"{where}: spec.triggers is required.");
        if (triggers.Children.Count == 0) throw new InvalidDataException($"{where}: spec.triggers is empty.");
        var read = triggers.Select(t => KedaTrigger.Read(where, (YamlMappingNode)t)).ToList();

        return new KedaScaledObject(
            o.Name,
            target.Scalar("kind") ?? "Deployment", // KEDA's default target kind
            targetName,
            Int(spec, "minReplicaCount", 0),
            Int(spec, "maxReplicaCount", 100),
            behavior,
            read);
    }

    private static int Int(YamlMappingNode node, string key, int defaultValue) =>
        node.Scalar(key) is { } text ? int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture) : defaultValue;
}

/// <summary>One trigger of a ScaledObject.</summary>
/// <param name="Type">e.g. prometheus.</param>
/// <param name="Metadata">Its metadata (all strings in KEDA's schema).</param>
internal sealed record KedaTrigger(string Type, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>Reads one trigger; a prometheus trigger must have serverAddress, query and threshold.</summary>
    public static KedaTrigger Read(string where, YamlMappingNode node)
    {
        node.OnlyKeys(where + " trigger", "type", "name", "metadata", "authenticationRef", "metricType", "useCachedMetrics");
        var type = node.Required("type");
        var metadata = node.Mapping("metadata") ?? throw new InvalidDataException($"{where}: a {type} trigger needs metadata.");
        var values = metadata.Children.ToDictionary(
            kv => ((YamlScalarNode)kv.Key).Value!,
            kv => (kv.Value as YamlScalarNode)?.Value ?? throw new InvalidDataException($"{where}: trigger metadata values are strings."),
            StringComparer.Ordinal);
        if (type == "prometheus")
        {
            metadata.OnlyKeys(where + " prometheus trigger", "serverAddress", "query", "threshold", "activationThreshold",
                "namespace", "customHeaders", "ignoreNullValues", "unsafeSsl", "queryParameters");
            foreach (var required in new[] { "serverAddress", "query", "threshold" })
            {
                if (!values.ContainsKey(required)) throw new InvalidDataException($"{where}: a prometheus trigger needs {required}.");
            }
        }
        return new KedaTrigger(type, values);
    }
}
