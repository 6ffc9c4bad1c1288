using k8s.Models;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>
/// The kinds the manifests may contain: built-in ones with their KubernetesClient model (parsed
/// strictly), and custom resources, which have no model and are checked by structure.
/// </summary>
internal static class ManifestKinds
{
    /// <summary>"apiVersion/kind" to model type, in the form KubernetesYaml's type map takes.</summary>
    public static IReadOnlyDictionary<string, Type> Typed { get; } = new Dictionary<string, Type>(StringComparer.Ordinal)
    {
        ["v1/Namespace"] = typeof(V1Namespace),
        ["v1/ConfigMap"] = typeof(V1ConfigMap),
        ["v1/Secret"] = typeof(V1Secret),
        ["v1/PersistentVolumeClaim"] = typeof(V1PersistentVolumeClaim),
        ["v1/Service"] = typeof(V1Service),
        ["apps/v1/Deployment"] = typeof(V1Deployment),
        ["apps/v1/StatefulSet"] = typeof(V1StatefulSet),
        ["policy/v1/PodDisruptionBudget"] = typeof(V1PodDisruptionBudget),
        ["networking.k8s.io/v1/NetworkPolicy"] = typeof(V1NetworkPolicy),
        ["autoscaling/v2/HorizontalPodAutoscaler"] = typeof(V2HorizontalPodAutoscaler),
    };

    /// <summary>KEDA's ScaledObject (checked by <see cref="KedaScaledObject"/>).</summary>
    public const string ScaledObject = "keda.sh/v1alpha1/ScaledObject";

    /// <summary>Custom resources the manifests may hold.</summary>
    public static IReadOnlySet<string> Custom { get; } = new HashSet<string>(StringComparer.Ordinal) { ScaledObject };

    /// <summary>Kinds that live outside any namespace.</summary>
    public static IReadOnlySet<string> ClusterScoped { get; } = new HashSet<string>(StringComparer.Ordinal) { "Namespace" };
}
