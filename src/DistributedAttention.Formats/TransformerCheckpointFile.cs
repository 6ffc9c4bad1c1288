using DistributedAttention.Contracts;

namespace DistributedAttention.Formats;

/// <summary>
/// What a transformer checkpoint (a safetensors file of its state dict) says about itself in
/// <c>__metadata__</c>: a format tag and the model's options as JSON, read without a tensor library.
/// </summary>
public static class TransformerCheckpointFile
{
    /// <summary>Metadata key of the format tag.</summary>
    public const string FormatKey = "format";

    /// <summary>The format tag of this layout.</summary>
    public const string Format = "distributed-attention.transformer/1";

    /// <summary>Metadata key of the options JSON.</summary>
    public const string OptionsKey = "options";

    /// <summary>The options a checkpoint was saved with.</summary>
    /// <exception cref="InvalidDataException">The file is not a transformer checkpoint, or its options are invalid.</exception>
    public static TransformerOptions ReadOptions(string path)
    {
        IReadOnlyDictionary<string, string> metadata;
        using (var file = SafetensorsFile.Open(path)) metadata = file.Metadata;
        if (!metadata.TryGetValue(FormatKey, out var format) || format != Format)
        {
            throw new InvalidDataException($"{path}: not a transformer checkpoint (metadata '{FormatKey}' is '{format ?? "missing"}', expected '{Format}').");
        }
        if (!metadata.TryGetValue(OptionsKey, out var json)) throw new InvalidDataException($"{path}: transformer checkpoint has no '{OptionsKey}' metadata.");
        try
        {
            return TransformerOptions.FromJson(json);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: transformer options in the checkpoint are invalid: {e.Message}", e);
        }
    }
}
