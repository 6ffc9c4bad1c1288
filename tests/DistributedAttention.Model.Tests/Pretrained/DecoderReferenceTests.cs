using DistributedAttention.Checkpoints;
using DistributedAttention.Core.IO;
using DistributedAttention.Model.Pretrained;
using static TorchSharp.torch;

namespace DistributedAttention.Model.Tests.Pretrained;

/// <summary>One device equals the PyTorch reference written from each family's published definition.</summary>
[Collection(TinyCheckpointCollection.Name)]
public sealed class DecoderReferenceTests(TinyCheckpoints checkpoints)
{
    [Theory]
    [MemberData(nameof(TinyCheckpoints.Names), MemberType = typeof(TinyCheckpoints))]
    public async Task Float64_forward_equals_the_reference(string name)
    {
        var folder = ModelFolder.Open(await checkpoints.FolderAsync(name));
        using var model = DecoderModel.Load(folder, dtype: ScalarType.Float64);
        var (hidden, logProb, entropy) = Run(model);
        using var reference = ReadReference(folder.Directory);
        // The same math in the same precision: only the order of floating-point sums differs.
        AssertClose(reference["hidden"], hidden, 1e-9, $"{name}: hidden");
        AssertClose(reference["logprob"], logProb, 1e-9, $"{name}: log-probs");
        AssertClose(reference["entropy"], entropy, 1e-9, $"{name}: entropy");
        hidden.Dispose();
        logProb.Dispose();
        entropy.Dispose();
    }

    [Theory]
    [MemberData(nameof(TinyCheckpoints.Names), MemberType = typeof(TinyCheckpoints))]
    public async Task Float32_forward_is_within_float32_rounding_of_the_reference(string name)
    {
        var folder = ModelFolder.Open(await checkpoints.FolderAsync(name));
        using var model = DecoderModel.Load(folder);
        var (hidden, logProb, entropy) = Run(model);
        using var reference = ReadReference(folder.Directory);
        AssertClose(reference["hidden"], hidden, 1e-4, $"{name}: hidden");
        AssertClose(reference["logprob"], logProb, 1e-4, $"{name}: log-probs");
        hidden.Dispose();
        logProb.Dispose();
        entropy.Dispose();
    }

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
