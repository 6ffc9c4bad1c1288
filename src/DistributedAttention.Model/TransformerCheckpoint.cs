using DistributedAttention.Contracts;
using DistributedAttention.Core.IO;
using DistributedAttention.Formats;
using static TorchSharp.torch;

namespace DistributedAttention.Model;

/// <summary>
/// A <see cref="TransformerModel"/> as a safetensors file: its state dict as tensors, and under
/// <c>__metadata__</c> a format tag and the options as JSON, so the file alone rebuilds the model.
/// </summary>
internal static class TransformerCheckpoint
{
    /// <summary>Metadata key of the format tag.</summary>
    public const string FormatKey = TransformerCheckpointFile.FormatKey;

    /// <summary>The format tag of this layout.</summary>
    public const string Format = TransformerCheckpointFile.Format;

    /// <summary>Metadata key of the options JSON.</summary>
    public const string OptionsKey = TransformerCheckpointFile.OptionsKey;

    public static void Save(TransformerModel model, string path)
    {
        var metadata = new Dictionary<string, string>
        {
            [FormatKey] = Format,
            [OptionsKey] = model.CurrentOptions.ToJson(),
        };
        // state_dict hands out the live parameters: write them, never dispose them.
        Safetensors.Save(path, model.state_dict(), metadata);
    }

    public static TransformerOptions ReadOptions(string path) => TransformerCheckpointFile.ReadOptions(path);

    public static void LoadWeights(TransformerModel model, string path)
    {
        using var reader = SafetensorsReader.Open(path);
        var expected = model.state_dict();
        var missing = expected.Keys.Where(name => !reader.Contains(name)).ToList();
        var unexpected = reader.Tensors.Select(t => t.Name).Where(name => !expected.ContainsKey(name)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
        {
            throw new InvalidDataException(
                $"{path}: weights do not match the model: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}].");
        }
        foreach (var (name, parameter) in expected)
        {
            var info = reader.GetInfo(name);
            if (!info.Shape.SequenceEqual(parameter.shape))
            {
                throw new InvalidDataException(
                    $"{path}: weight '{name}' has shape [{string.Join(", ", info.Shape)}], the model expects [{string.Join(", ", parameter.shape)}].");
            }
        }

        // Routing layers' learned centroids live in the saved options, not in a tensor.
        var saved = ReadOptions(path);
        if (saved.Layers == model.Layers.Count)
        {
            foreach (var layer in model.Layers)
            {
                if (saved.LayerAttention[layer.Index] is { Kind: AttentionKind.Routing, Centroids.Count: > 0 } spec) layer.UseRoutingCentroids(spec.Centroids);
            }
        }

        using var noGrad = no_grad();
        foreach (var (name, parameter) in expected)
        {
            using var loaded = reader.Read(name, parameter.device);
            using var converted = loaded.to(parameter.dtype);
            parameter.copy_(converted);
        }
    }
}
