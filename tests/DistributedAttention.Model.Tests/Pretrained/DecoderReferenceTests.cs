using DistributedAttention.Checkpoints;
using DistributedAttention.Core.IO;
using DistributedAttention.Model.Pretrained;
using static TorchSharp.torch;

namespace DistributedAttention.Model.Tests.Pretrained;

/// <summary>One device equals the PyTorch reference written from each family's published definition.</summary>
[Collection(TinyCheckpointCollection.Name)]
public sealed class DecoderReferenceTests(TinyCheckpoints checkpoints)
{
    /// <summary>The same math in the same precision: only the order of floating-point sums differs.</summary>
    [Theory]
    [MemberData(nameof(TinyCheckpoints.Names), MemberType = typeof(TinyCheckpoints))]
    public Task Float64_forward_equals_the_reference(string name) => CompareAsync(name, ScalarType.Float64, 1e-9, entropy: true);

    [Theory]
    [MemberData(nameof(TinyCheckpoints.Names), MemberType = typeof(TinyCheckpoints))]
    public Task Float32_forward_is_within_float32_rounding_of_the_reference(string name) => CompareAsync(name, ScalarType.Float32, 1e-4, entropy: false);

    /// <summary>
    /// bf16 matmuls (norms, activations, softmax and the residual stream in float32): the error
    /// bound docs/architecture.md states, measured against the float64 reference.
    /// </summary>
    [Theory]
    [MemberData(nameof(TinyCheckpoints.Names), MemberType = typeof(TinyCheckpoints))]
    public Task Bf16_matmuls_stay_within_the_documented_bound_of_the_reference(string name) => CompareAsync(name, ScalarType.BFloat16, Bf16Bound, entropy: false);

    private async Task CompareAsync(string name, ScalarType dtype, double tolerance, bool entropy)
    {
        var folder = ModelFolder.Open(await checkpoints.FolderAsync(name));
        using var model = DecoderModel.Load(folder, dtype: dtype);
        var (hidden, logProb, entropies) = Run(model);
        using var reference = ReadReference(folder.Directory);
        using (hidden)
        using (logProb)
        using (entropies)
        {
            // Hidden states come back in the activations' type: float32 even with bf16 matmuls.
            Assert.Equal(dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32, hidden.dtype);
            AssertClose(reference["hidden"], hidden, tolerance, $"{name}, {dtype}: hidden");
            AssertClose(reference["logprob"], logProb, tolerance, $"{name}, {dtype}: log-probs");
            if (entropy) AssertClose(reference["entropy"], entropies, tolerance, $"{name}, {dtype}: entropy");
        }
    }

    /// <summary>Relative to max(1, max |expected|); docs/architecture.md quotes it.</summary>
    internal const double Bf16Bound = 5e-2;

    internal static (Tensor Hidden, Tensor LogProb, Tensor Entropy) Run(DecoderModel model)
    {
        using var scope = NewDisposeScope();
        var ids = tensor(TinyCheckpoints.Ids, [1, TinyCheckpoints.Tokens]);
        var hidden = model.Forward(ids).squeeze(0);
        var (logProb, entropy) = model.Score(hidden.narrow(0, 0, TinyCheckpoints.Tokens - 1), ids.squeeze(0).narrow(0, 1, TinyCheckpoints.Tokens - 1));
        return (hidden.MoveToOuterDisposeScope(), logProb.MoveToOuterDisposeScope(), entropy.MoveToOuterDisposeScope());
    }

    private static TensorDictionary ReadReference(string folder)
    {
        using var reader = SafetensorsReader.Open(TinyCheckpoints.ReferencePath(folder));
        return new TensorDictionary(reader.ReadAll());
    }

    /// <summary>max |actual − expected| ≤ tolerance · max(1, max |expected|).</summary>
    internal static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        using var scope = NewDisposeScope();
        Assert.Equal(expected.shape, actual.shape);
        var e = expected.to(float64);
        var a = actual.to(float64);
        Assert.True(a.isfinite().all().item<bool>(), $"{what}: not finite");
        var diff = a.sub(e).abs().max().item<double>();
        var scale = Math.Max(1, e.abs().max().item<double>());
        Console.WriteLine($"{what}: max |diff| {diff:E3}, scale {scale:F2}");
        Assert.True(diff <= tolerance * scale, $"{what}: max |diff| {diff:E3} > {tolerance:E0} × {scale:F2}");
    }

    internal sealed class TensorDictionary(Dictionary<string, Tensor> tensors) : IDisposable
    {
        public Tensor this[string name] => tensors[name];

        public void Dispose()
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
