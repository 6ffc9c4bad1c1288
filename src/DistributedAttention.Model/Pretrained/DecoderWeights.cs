using DistributedAttention.Checkpoints;
using DistributedAttention.Core.IO;
using DistributedAttention.Core.Runtime;
using static TorchSharp.torch;

namespace DistributedAttention.Model.Pretrained;

/// <summary>
/// A checkpoint's tensors by name, read from its safetensors files (BF16, F16 and F32 files alike)
/// onto one device: matrices and biases in the matmul type, norm weights in the activations' type
/// (float32, or float64). Gemma's norms, stored as w and applied as (1 + w), are stored here as
/// (1 + w), so every family's RMSNorm is one multiply.
/// </summary>
internal sealed class DecoderWeights : IDisposable
{
    private readonly Dictionary<string, Tensor> tensors;

    private DecoderWeights(Dictionary<string, Tensor> tensors) => this.tensors = tensors;

    /// <summary>Reads every tensor <paramref name="folder"/>'s architecture needs.</summary>
    public static DecoderWeights Load(ModelFolder folder, Device device, ScalarType dtype)
    {
        var architecture = folder.Architecture;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var readers = new Dictionary<string, SafetensorsReader>(StringComparer.Ordinal);
        try
        {
            using var noGrad = no_grad();
            foreach (var (name, _) in architecture.ExpectedTensors())
            {
                var file = folder.TensorFiles[name];
                if (!readers.TryGetValue(file, out var reader)) readers[file] = reader = SafetensorsReader.Open(file);
                using var stored = reader.Read(name, CPU);
                // At least float32 before Gemma's 1 + w, as the families' own code computes it.
                var activations = dtype == ScalarType.Float64 ? float64 : float32;
                using var exact = stored.to(activations);
                var norm = IsNorm(name);
                if (architecture.NormAddsOne && norm) exact.add_(KeptScalars.One, KeptScalars.One);
                tensors[name] = exact.to(norm ? activations : dtype, device);
            }
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
        finally
        {
            foreach (var reader in readers.Values) reader.Dispose();
        }
        return new DecoderWeights(tensors);
    }

    /// <summary>The tensor <paramref name="name"/>.</summary>
    public Tensor this[string name] => tensors[name];

    /// <summary>The tensor <paramref name="name"/>, or null when the checkpoint has none (optional biases).</summary>
    public Tensor? Optional(string name) => tensors.GetValueOrDefault(name);

    /// <summary>Bytes held.</summary>
    public long Bytes => tensors.Values.Sum(t => t.numel() * t.element_size());

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in tensors.Values) t.Dispose();
        tensors.Clear();
    }

    private static bool IsNorm(string name) => name.EndsWith("norm.weight", StringComparison.Ordinal) || name.EndsWith("layernorm.weight", StringComparison.Ordinal);
}
