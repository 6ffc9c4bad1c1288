using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>
/// The objects of one rendered kustomization. Every built-in object is parsed strictly into its
/// KubernetesClient model (an unknown or misspelt field fails); custom resources keep their YAML tree.
/// </summary>
internal sealed partial class RenderedManifests
{
    private RenderedManifests(string target, IReadOnlyList<ManifestObject> objects)
    {
        Target = target;
        Objects = objects;
    }

    /// <summary>What was rendered (an overlay, or an overlay with components), for messages.</summary>
    public string Target { get; }

    /// <summary>Every object, in rendered order.</summary>
    public IReadOnlyList<ManifestObject> Objects { get; }

    /// <summary>Deployments and StatefulSets: the objects that make pods.</summary>
    public IReadOnlyList<Workload> Workloads =>
        [
            .. All<V1Deployment>().Select(d => new Workload("Deployment", d.Metadata.Name, d.Spec.Selector, d.Spec.Template)),
            .. All<V1StatefulSet>().Select(s => new Workload("StatefulSet", s.Metadata.Name, s.Spec.Selector, s.Spec.Template)),
        ];

    /// <summary>Splits and parses <paramref name="yaml"/>; throws naming the object that does not parse.</summary>
    public static RenderedManifests Parse(string target, string yaml)
    {
        var objects = new List<ManifestObject>();
        foreach (var document in DocumentSeparator().Split(yaml).Where(d => !string.IsNullOrWhiteSpace(d)))
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(document));
            var raw = (YamlMappingNode)stream.Documents.Single().RootNode;
            var apiVersion = raw.Required("apiVersion");
            var kind = raw.Required("kind");
            var metadata = raw.Mapping("metadata") ?? throw new InvalidDataException($"{target}: a {kind} has no metadata.");
            var name = metadata.Required("name");
            var key = $"{apiVersion}/{kind}";
            object? typed = null;
            if (ManifestKinds.Typed.ContainsKey(key)) typed = ParseTyped(target, key, name, document);
            else if (!ManifestKinds.Custom.Contains(key)) throw new InvalidDataException($"{target}: {kind}/{name} has an unexpected kind {key}.");
            objects.Add(new ManifestObject(apiVersion, kind, name, metadata.Scalar("namespace"), typed, raw, document));
        }
        return new RenderedManifests(target, objects);
    }

    /// <summary>Parses one object's YAML into its model, strictly.</summary>
    public static object ParseTyped(string target, string key, string name, string document)
    {
        try
        {
            var map = new Dictionary<string, Type> { [key] = ManifestKinds.Typed[key] };
            return KubernetesYaml.LoadAllFromString(document, map, strict: true).Single();
        }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or FormatException or InvalidCastException)
        {
            throw new InvalidDataException($"{target}: {key} {name} does not parse strictly: {e.Message} {e.InnerException?.Message}", e);
        }
    }

    /// <summary>Every object of model type <typeparamref name="T"/>.</summary>
    public IEnumerable<T> All<T>() => Objects.Select(o => o.Typed).OfType<T>();

    /// <summary>The one <typeparamref name="T"/> called <paramref name="name"/>.</summary>
    public T Get<T>(string name) where T : IMetadata<V1ObjectMeta> =>
        All<T>().SingleOrDefault(o => o.Metadata.Name == name)
        ?? throw new KeyNotFoundException($"{Target} has no {typeof(T).Name} {name}.");

    /// <summary>Whether a <typeparamref name="T"/> called <paramref name="name"/> exists.</summary>
    public bool Has<T>(string name) where T : IMetadata<V1ObjectMeta> => All<T>().Any(o => o.Metadata.Name == name);

    /// <summary>The custom resources of <paramref name="apiVersionAndKind"/> (e.g. <see cref="ManifestKinds.ScaledObject"/>).</summary>
    public IEnumerable<ManifestObject> Custom(string apiVersionAndKind) =>
        Objects.Where(o => o.Typed is null && $"{o.ApiVersion}/{o.Kind}" == apiVersionAndKind);

    /// <summary>The workload called <paramref name="name"/>.</summary>
    public Workload Workload(string name) =>
        Workloads.SingleOrDefault(w => w.Name == name) ?? throw new KeyNotFoundException($"{Target} has no workload {name}.");

    /// <summary>The workloads whose pods <paramref name="selector"/> selects.</summary>
    public IEnumerable<Workload> Selected(IDictionary<string, string>? selector) =>
        Workloads.Where(w => LabelSelectors.Matches(selector, w.Template.Metadata.Labels));

    /// <summary>The workloads whose pods <paramref name="selector"/> selects.</summary>
    public IEnumerable<Workload> Selected(V1LabelSelector? selector) =>
        Workloads.Where(w => LabelSelectors.Matches(selector, w.Template.Metadata.Labels));

    [GeneratedRegex(@"^---[ \t]*\r?$", RegexOptions.Multiline)]
    private static partial Regex DocumentSeparator();
}
