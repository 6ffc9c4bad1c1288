using YamlDotNet.RepresentationModel;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>One rendered Kubernetes object.</summary>
/// <param name="ApiVersion">Its apiVersion.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Name">metadata.name.</param>
/// <param name="Namespace">metadata.namespace, if any.</param>
/// <param name="Typed">The KubernetesClient model it parsed into strictly; null for custom resources.</param>
/// <param name="Raw">The YAML tree as rendered.</param>
/// <param name="Document">The YAML text as rendered.</param>
internal sealed record ManifestObject(string ApiVersion, string Kind, string Name, string? Namespace, object? Typed, YamlMappingNode Raw, string Document)
{
    /// <summary>"Kind/name", for messages.</summary>
    public string Id => $"{Kind}/{Name}";
}
