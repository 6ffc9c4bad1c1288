using DistributedAttention.Checkpoints;

namespace DistributedAttention.Abstractions;

/// <summary>
/// A Hugging Face model folder as a job names it: where every silo finds it and what it must hold
/// (its <see cref="ModelFolder.Fingerprint"/>), with the shapes the plan and the memory estimate need.
/// </summary>
/// <param name="Directory">The folder's absolute path, the same on every silo (a shared or copied models volume).</param>
/// <param name="Fingerprint">The folder's fingerprint; a silo whose copy differs refuses the job.</param>
/// <param name="Family">config.json's model_type.</param>
/// <param name="Layers">Decoder layers.</param>
/// <param name="HiddenSize">Hidden size.</param>
/// <param name="Heads">Query heads.</param>
/// <param name="KvHeads">Key/value heads.</param>
/// <param name="HeadDim">Per-head dimension.</param>
/// <param name="IntermediateSize">Feed-forward width.</param>
/// <param name="VocabSize">Vocabulary size.</param>
/// <param name="Parameters">Parameter count.</param>
/// <param name="SlidingWindows">Per layer, Hugging Face's sliding_window, or null for a full layer.</param>
/// <param name="ComputeType">The weights' and matmuls' type on the shards: <c>float32</c>, or <c>bfloat16</c> (every norm, activation, softmax and the residual stream stay float32).</param>
[GenerateSerializer, Immutable, Alias("distattn.PretrainedModel")]
public sealed record PretrainedModel(
    string Directory, string Fingerprint, string Family, int Layers, int HiddenSize, int Heads, int KvHeads, int HeadDim,
    int IntermediateSize, int VocabSize, long Parameters, IReadOnlyList<int?> SlidingWindows, string ComputeType = PretrainedModel.Float32)
{
    /// <summary>fp32 compute.</summary>
    public const string Float32 = "float32";

    /// <summary>bf16 matmuls.</summary>
    public const string BFloat16 = "bfloat16";
    /// <summary>The job's view of an opened model folder, computed in <paramref name="computeType"/>.</summary>
    public static PretrainedModel Of(ModelFolder folder, string computeType = Float32)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var a = folder.Architecture;
        return new PretrainedModel(folder.Directory, folder.Fingerprint, a.ModelType, a.Layers.Count, a.HiddenSize, a.Heads, a.KvHeads, a.HeadDim,
            a.IntermediateSize, a.VocabSize, a.ParameterCount, [.. a.Layers.Select(l => l.SlidingWindow)], computeType);
    }

    /// <summary>Checks the record; every problem is named.</summary>
    /// <exception cref="ArgumentException">It is invalid.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory) || !Path.IsPathFullyQualified(Directory)) throw new ArgumentException($"a pretrained model needs the folder's absolute path (got '{Directory}').");
        if (Fingerprint is not { Length: 64 }) throw new ArgumentException("a pretrained model needs the folder's fingerprint (64 hex digits).");
        if (Layers < 1 || HiddenSize < 1 || Heads < 1 || KvHeads < 1 || Heads % KvHeads != 0 || HeadDim < 2 || IntermediateSize < 1 || VocabSize < 1)
            throw new ArgumentException($"pretrained model shapes are invalid: layers {Layers}, hidden {HiddenSize}, heads {Heads}/{KvHeads}, head dim {HeadDim}, ffn {IntermediateSize}, vocab {VocabSize}.");
        if (ComputeType is not (Float32 or BFloat16)) throw new ArgumentException($"compute type must be {Float32} or {BFloat16} (got '{ComputeType}').");
        if (SlidingWindows is null || SlidingWindows.Count != Layers) throw new ArgumentException($"a pretrained model lists a window (or none) per layer: {SlidingWindows?.Count ?? 0} for {Layers} layers.");
    }
}
