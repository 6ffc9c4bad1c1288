using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Model.Tests;

/// <summary>
/// The whole model is differentiable: in float64, the gradient autograd gives for a weight equals
/// the central finite difference of the same seeded loss, through embeddings, norms, rotary
/// queries with the folded softmax scale, every attention kind of the mixed stack, the
/// feed-forward, and (for a sequence longer than a row block) the row blocks written into slices.
/// </summary>
public sealed class ModelGradientTests
{
    [Fact]
    public void Weight_gradients_equal_finite_differences_through_the_mixed_attention_stack() =>
        CheckGradients(TestModels.Options(layers: TestModels.MixedSpecs.Length, specs: TestModels.MixedSpecs), n: 40);

    [Fact]
    public void Weight_gradients_equal_finite_differences_across_row_blocks()
    {
        var window = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 3, WindowRight = 2, GlobalPositions = [0, TransformerLayer.RowBlock + 5] };
        CheckGradients(TestModels.Options(layers: 1, specs: [window]), n: TransformerLayer.RowBlock + 37);
    }

    private static void CheckGradients(TransformerOptions options, int n)
    {
        using var model = new TransformerModel(options);
        model.to(float64);
        using var generator = new Generator(17);
        using var tokens = randint(options.VocabSize, [1, n], dtype: int64, generator: generator);
        using var weights = randn([1, n, options.ModelDim], dtype: float64, generator: generator);
        var named = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var p in named.Values) p.requires_grad = true;

        using (var hidden = model.forward(tokens))
        using (var loss = hidden.mul(weights).sum())
        {
            loss.backward();
        }

        var random = new Random(5);
        // Keys of every layer (each layer's attention kind), queries (rotary, folded scale), values, the rest once.
        string[] probed =
        [
            "embed.weight", "layers.0.attn.q_proj.weight", "layers.0.attn.v_proj.bias", "layers.0.attn.o_proj.weight",
            "layers.0.ffn.up.weight", "layers.0.ffn.down.bias", $"layers.{options.Layers - 1}.attn_norm.weight", "final_norm.bias",
            .. Enumerable.Range(0, options.Layers).Select(i => $"layers.{i}.attn.k_proj.weight"),
        ];
        foreach (var name in probed)
        {
            Assert.True(named.TryGetValue(name, out var parameter), $"no parameter '{name}' (have: {string.Join(", ", named.Keys)}).");
            using var flat = parameter.grad!.flatten();
            for (var probe = 0; probe < 3; probe++)
            {
                // An embedding row only has a gradient if its token occurs: probe rows of tokens that do.
                var index = name == "embed.weight"
                    ? tokens[0, random.Next(n)].item<long>() * options.ModelDim + random.Next(options.ModelDim)
                    : random.NextInt64(parameter.numel());
                var analytic = flat[index].item<double>();
                var numeric = FiniteDifference(model, parameter, index, tokens, weights);
                Assert.True(Math.Abs(analytic - numeric) <= 1e-6 + 1e-5 * Math.Abs(numeric),
                    $"{name}[{index}]: autograd {analytic:E6}, finite difference {numeric:E6}.");
            }
        }
    }

    private static double FiniteDifference(TransformerModel model, Tensor parameter, long index, Tensor tokens, Tensor weights)
    {
        const double h = 1e-6;
        using var noGrad = no_grad();
        using var flat = parameter.view(-1);
        var original = flat[index].item<double>();
        double Loss(double value)
        {
            flat[index] = value;
            using var hidden = model.forward(tokens);
            using var loss = hidden.mul(weights).sum();
            return loss.item<double>();
        }
        var plus = Loss(original + h);
        var minus = Loss(original - h);
        flat[index] = original;
        return (plus - minus) / (2 * h);
    }
}
