using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>A container's environment as Kubernetes resolves it: literals, Secret and ConfigMap keys, and $(VAR) references.</summary>
internal static partial class ContainerEnvironment
{
    /// <summary>The variable <paramref name="name"/> (declared once).</summary>
    public static V1EnvVar Env(this V1Container container, string name) =>
        (container.Env ?? []).SingleOrDefault(e => e.Name == name) ?? throw new KeyNotFoundException($"Container {container.Name} has no (or more than one) {name}.");

    /// <summary>The literal value of <paramref name="name"/>.</summary>
    public static string Literal(this V1Container container, string name) =>
        container.Env(name).Value ?? throw new InvalidDataException($"Container {container.Name}: {name} is not a literal.");

    /// <summary>
    /// The value of <paramref name="name"/> as the container will see it: Secret and ConfigMap keys
    /// read from the rendered objects, $(VAR) replaced by variables declared before it (as Kubernetes
    /// does; later ones stay unreplaced), downward-API fields as "fieldRef:PATH".
    /// </summary>
    public static string Resolve(RenderedManifests m, V1Container container, string name)
    {
        var env = container.Env ?? [];
        var index = env.ToList().FindIndex(e => e.Name == name);
        if (index < 0) throw new KeyNotFoundException($"Container {container.Name} has no {name}.");
        return Value(m, container, env, index);
    }

    /// <summary>Expands $(VAR) in <paramref name="text"/> (an arg or command) with the container's variables.</summary>
    public static string Expand(RenderedManifests m, V1Container container, string text)
    {
        var env = container.Env ?? [];
        return Expand(text, n => env.ToList().FindIndex(e => e.Name == n) is var i and >= 0 ? Value(m, container, env, i) : null);
    }

    /// <summary>The $(VAR) names <paramref name="text"/> refers to.</summary>
    public static IEnumerable<string> References(string text) => Reference().Matches(text).Select(x => x.Groups[1].Value);

    private static string Value(RenderedManifests m, V1Container container, IList<V1EnvVar> env, int index)
    {
        var variable = env[index];
        if (variable.Value is not null)
            return Expand(variable.Value, n => env.Take(index).ToList().FindLastIndex(e => e.Name == n) is var i and >= 0 ? Value(m, container, env, i) : null);
        var from = variable.ValueFrom ?? throw new InvalidDataException($"Container {container.Name}: {variable.Name} has no value.");
        if (from.SecretKeyRef is { } s)
        {
            var secret = m.Get<V1Secret>(s.Name);
            if (secret.Data?.TryGetValue(s.Key, out var bytes) == true) return Encoding.UTF8.GetString(bytes);
            if (secret.StringData?.TryGetValue(s.Key, out var text) == true) return text;
            throw new KeyNotFoundException($"Secret {s.Name} has no key {s.Key} (container {container.Name}, {variable.Name}).");
        }
        if (from.ConfigMapKeyRef is { } c)
        {
            var map = m.Get<V1ConfigMap>(c.Name);
            return map.Data?.TryGetValue(c.Key, out var text) == true
                ? text
                : throw new KeyNotFoundException($"ConfigMap {c.Name} has no key {c.Key} (container {container.Name}, {variable.Name}).");
        }
        if (from.FieldRef is { } f) return "fieldRef:" + f.FieldPath;
        throw new InvalidDataException($"Container {container.Name}: {variable.Name} comes from an unsupported source.");
    }

    private static string Expand(string text, Func<string, string?> lookup) =>
        Reference().Replace(text, x => lookup(x.Groups[1].Value) ?? x.Value);

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex Reference();
}
