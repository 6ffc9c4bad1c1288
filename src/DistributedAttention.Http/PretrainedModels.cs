using DistributedAttention.Checkpoints;

namespace DistributedAttention.Http;

/// <summary>The server's models directory: a caller names a model folder in it, never a path.</summary>
public static class PretrainedModels
{
    /// <summary>The folder <paramref name="name"/> of <paramref name="root"/>.</summary>
    /// <exception cref="ArgumentException">No models are served, the name is not a plain folder name, or there is no such model (the message lists the ones there are).</exception>
    public static string Resolve(string? root, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (root is null) throw new ArgumentException("this server serves no pretrained models (DistributedAttention:Api:ModelsDirectory is not set).");
        if (name.Length == 0 || name.Length > 200 || name.StartsWith('.') || name.IndexOfAny(['/', '\\', ':', '\0']) >= 0)
            throw new ArgumentException($"model '{name}' is not a model name (a folder of the models directory, as GET /v1/models lists them).");
        var directory = Path.Combine(root, name);
        if (!File.Exists(Path.Combine(directory, "config.json")))
        {
            var known = Names(root);
            throw new ArgumentException($"there is no model '{name}'; {(known.Count == 0 ? "the models directory is empty" : "there are " + string.Join(", ", known))}.");
        }
        return directory;
    }

    /// <summary>Every model folder of <paramref name="root"/> (a folder with a config.json), with what its config says, or why it cannot run.</summary>
    public static IReadOnlyList<ModelEntry> List(string? root) => root is null
        ? []
        : [.. Names(root).Select(name => Describe(name, Path.Combine(root, name)))];

    private static ModelEntry Describe(string name, string directory)
    {
        try
        {
            var a = HuggingFaceConfig.Read(Path.Combine(directory, "config.json"));
            return new ModelEntry(name, a.ModelType, a.Layers.Count, a.HiddenSize, a.ParameterCount, [.. a.Layers.Select(l => l.Describe()).Distinct()], File.Exists(Path.Combine(directory, "tokenizer.json")), null);
        }
        catch (InvalidDataException e)
        {
            return new ModelEntry(name, null, 0, 0, 0, [], false, e.Message.Replace(directory, name, StringComparison.Ordinal));
        }
    }

    private static List<string> Names(string root) => Directory.Exists(root)
        ? [.. Directory.EnumerateDirectories(root).Where(d => File.Exists(Path.Combine(d, "config.json"))).Select(Path.GetFileName).OfType<string>().Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal)]
        : [];
}

/// <summary>One model of GET /v1/models.</summary>
/// <param name="Name">What model=NAME names.</param>
/// <param name="Family">config.json's model_type; null when the config cannot be read.</param>
/// <param name="Layers">Decoder layers.</param>
/// <param name="HiddenSize">Hidden size.</param>
/// <param name="Parameters">Parameter count.</param>
/// <param name="Attention">The kinds of layers ("sliding 4096", "full").</param>
/// <param name="HasTokenizer">Whether the folder has the tokenizer.json a book job needs.</param>
/// <param name="Problem">Why the folder cannot run, or null.</param>
public sealed record ModelEntry(string Name, string? Family, int Layers, int HiddenSize, long Parameters, IReadOnlyList<string> Attention, bool HasTokenizer, string? Problem);
