using System.Collections.Concurrent;
using YamlDotNet.RepresentationModel;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>
/// The rendered overlays, each rendered and parsed once per test run. Variants (an overlay with
/// components swapped, as a user would with <c>kustomize edit</c>) are rendered from a copy of
/// the overlay's kustomization in a temporary folder.
/// </summary>
internal static class Rendered
{
    /// <summary>The overlays a user deploys.</summary>
    public static readonly string[] Overlays = ["cpu", "gpu"];

    private static readonly ConcurrentDictionary<string, Lazy<RenderedManifests>> Cache = new(StringComparer.Ordinal);

    /// <summary>k8s/overlays/<paramref name="overlay"/> as it is.</summary>
    public static RenderedManifests Overlay(string overlay) => Variant(overlay, [], []);

    /// <summary>k8s/overlays/<paramref name="overlay"/> without the components in <paramref name="remove"/> and with those in <paramref name="add"/> (names under k8s/components).</summary>
    public static RenderedManifests Variant(string overlay, string[] remove, string[] add)
    {
        var key = $"{overlay}-{string.Join(",", remove)}+{string.Join(",", add)}";
        return Cache.GetOrAdd(key, _ => new Lazy<RenderedManifests>(() => Render(key, overlay, remove, add))).Value;
    }

    private static RenderedManifests Render(string key, string overlay, string[] remove, string[] add)
    {
        var overlayDir = Path.Combine(RepositoryPaths.K8s, "overlays", overlay);
        if (remove.Length == 0 && add.Length == 0) return RenderedManifests.Parse(overlay, Kubectl.Kustomize(overlayDir));
        var temp = Path.Combine(Path.GetTempPath(), "distattn-k8s-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(temp);
        try
        {
            WriteVariant(overlayDir, temp, remove, add);
            return RenderedManifests.Parse(key, Kubectl.Kustomize(temp));
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    // Copies the overlay's kustomization.yaml: folder references become relative to the copy
    // (kustomize refuses absolute ones), patch files are copied beside it (it refuses files outside its root).
    private static void WriteVariant(string overlayDir, string temp, string[] remove, string[] add)
    {
        var stream = new YamlStream();
        using (var reader = File.OpenText(Path.Combine(overlayDir, "kustomization.yaml"))) stream.Load(reader);
        var root = (YamlMappingNode)stream.Documents.Single().RootNode;
        string Relocate(string entry) => Path.GetRelativePath(temp, Path.GetFullPath(Path.Combine(overlayDir, entry)));

        var resources = root.Sequence("resources") ?? throw new InvalidDataException($"{overlayDir} has no resources.");
        root.Children[new YamlScalarNode("resources")] = new YamlSequenceNode(resources.Select(r => new YamlScalarNode(Relocate(((YamlScalarNode)r).Value!))));

        var components = (root.Sequence("components")?.Select(c => ((YamlScalarNode)c).Value!) ?? []).ToList();
        var removed = components.RemoveAll(c => remove.Contains(Path.GetFileName(c), StringComparer.Ordinal));
        if (removed != remove.Length) throw new InvalidOperationException($"{overlayDir} does not use all of the components {string.Join(", ", remove)}.");
        components.AddRange(add.Select(a => Path.Combine("..", "..", "components", a)));
        root.Children[new YamlScalarNode("components")] = new YamlSequenceNode(components.Select(c => new YamlScalarNode(Relocate(c))));

        foreach (var patch in root.Sequence("patches")?.OfType<YamlMappingNode>() ?? [])
        {
            if (patch.Scalar("path") is { } file) File.Copy(Path.Combine(overlayDir, file), Path.Combine(temp, file));
        }
        using var writer = File.CreateText(Path.Combine(temp, "kustomization.yaml"));
        stream.Save(writer, assignAnchors: false);
    }
}
