using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Model;
using TorchSharp;

namespace DistributedAttention.Grains.Runtime;

/// <summary>Reads a job's trained weights on this silo, refusing a file that is not the one the job was submitted with.</summary>
internal static class TrainedWeights
{
    /// <summary>The model in <paramref name="weights"/> on <paramref name="device"/>.</summary>
    /// <exception cref="InvalidDataException">The file is missing here, differs from the job's, or holds another model than <paramref name="options"/>.</exception>
    public static TransformerModel Load(ModelWeights weights, TransformerOptions options, string device)
    {
        if (!File.Exists(weights.Path))
        {
            throw new InvalidDataException($"weights file '{weights.Path}' is not on silo host '{Environment.MachineName}'; every silo must read the weights at the same path.");
        }
        var digest = ModelWeights.Digest(weights.Path);
        if (digest != weights.Sha256)
        {
            throw new InvalidDataException($"weights file '{weights.Path}' on silo host '{Environment.MachineName}' has SHA-256 {digest}, not the job's {weights.Sha256}: another file is at that path.");
        }
        var model = TransformerModel.Load(weights.Path, torch.device(device));
        if (!model.Options.Equals(options))
        {
            model.Dispose();
            throw new InvalidDataException($"weights file '{weights.Path}' holds another model than the job's options describe.");
        }
        return model;
    }
}
