using YamlDotNet.RepresentationModel;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>Small readers over YamlDotNet trees, for objects without a typed model.</summary>
internal static class YamlNodes
{
    /// <summary>The child mapping at <paramref name="key"/>, or null.</summary>
    public static YamlMappingNode? Mapping(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child as YamlMappingNode ?? throw Wrong(key, "a mapping") : null;

    /// <summary>The child sequence at <paramref name="key"/>, or null.</summary>
    public static YamlSequenceNode? Sequence(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child as YamlSequenceNode ?? throw Wrong(key, "a sequence") : null;

    /// <summary>The scalar text at <paramref name="key"/>, or null.</summary>
    public static string? Scalar(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? (child as YamlScalarNode ?? throw Wrong(key, "a scalar")).Value : null;

    /// <summary>The scalar text at <paramref name="key"/>; throws when missing.</summary>
    public static string Required(this YamlMappingNode node, string key) =>
        node.Scalar(key) ?? throw new InvalidDataException($"'{key}' is required.");

    /// <summary>The keys of <paramref name="node"/>.</summary>
    public static IEnumerable<string> Keys(this YamlMappingNode node) =>
        node.Children.Keys.Select(k => ((YamlScalarNode)k).Value ?? "");

    /// <summary>Throws when <paramref name="node"/> has a key outside <paramref name="allowed"/> (a typo would otherwise pass unseen).</summary>
    public static void OnlyKeys(this YamlMappingNode node, string where, params string[] allowed)
    {
        var unknown = node.Keys().Where(k => !allowed.Contains(k, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
            throw new InvalidDataException($"{where}: unknown field(s) {string.Join(", ", unknown)}; allowed: {string.Join(", ", allowed)}.");
    }

    /// <summary><paramref name="node"/> as YAML text.</summary>
    public static string ToYaml(this YamlNode node)
    {
        using var writer = new StringWriter();
        new YamlStream(new YamlDocument(node)).Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    private static InvalidDataException Wrong(string key, string what) => new($"'{key}' must be {what}.");
}
