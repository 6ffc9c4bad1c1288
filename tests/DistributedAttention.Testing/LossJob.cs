using DistributedAttention.Contracts;
using DistributedAttention.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Testing;

/// <summary>
/// A model job long enough to lose silos in the middle of (several seconds of layers on the test
/// machine), with its single-device result: what the fault tests compare with.
/// </summary>
public sealed class LossJob
{
    /// <summary>A window model with global tokens over <paramref name="tokens"/> seeded token ids.</summary>
    public LossJob(int tokens = 24_000, int layers = 8, ulong seed = 21)
    {
        Options = new TransformerOptions
        {
            VocabSize = 1000,
            ModelDim = 32,
            Heads = 4,
            Layers = layers,
            FeedForwardDim = 64,
            Seed = seed,
            LayerAttention = TransformerOptions.Uniform(new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 64, WindowRight = 64, GlobalPositions = [0, tokens / 2] }, layers),
        };
        using var generator = new Generator(seed);
        using var ids = randint(0, 1000, [tokens], dtype: int32, generator: generator);
        Tokens = ids.data<int>().ToArray();
    }

    /// <summary>The model.</summary>
    public TransformerOptions Options { get; }

    /// <summary>The token ids.</summary>
    public int[] Tokens { get; }

    /// <summary>The hidden states of the model run as one device, (1, n, d_model); the caller disposes it.</summary>
    public Tensor SingleDevice()
    {
        using var model = new TransformerModel(Options);
        using var ids = tensor(Tokens.Select(i => (long)i).ToArray(), [1, Tokens.Length]);
        return model.forward(ids);
    }

    /// <summary><paramref name="hidden"/> (n × d_model, row-major) as a (1, n, d_model) tensor; the caller disposes it.</summary>
    public Tensor AsTensor(float[] hidden) => tensor(hidden, [1, Tokens.Length, Options.ModelDim]);
}
