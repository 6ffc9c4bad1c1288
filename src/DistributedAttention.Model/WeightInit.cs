using DistributedAttention.Core.Runtime;
using static TorchSharp.torch;

namespace DistributedAttention.Model;

/// <summary>
/// Deterministic GPT-2-style initialisation from an explicit generator: weights N(0, 0.02),
/// residual output projections N(0, 0.02/√(2L)), biases 0, LayerNorm scales 1. Parameters are
/// visited in registration order, so the same seed gives bit-identical weights.
/// </summary>
internal static class WeightInit
{
    private const double Std = 0.02;

    /// <summary>Initialises every parameter of <paramref name="module"/> (on CPU) from <paramref name="seed"/>.</summary>
    public static void Apply(nn.Module module, ulong seed, int layers)
    {
        using var generator = new Generator(seed, CPU);
        using var noGrad = no_grad();
        var residualStd = Std / Math.Sqrt(2.0 * layers);
        foreach (var (name, parameter) in module.named_parameters())
        {
            if (name.EndsWith(".bias", StringComparison.Ordinal))
            {
                parameter.zero_();
            }
            else if (name.EndsWith("norm.weight", StringComparison.Ordinal))
            {
                parameter.fill_(KeptScalars.One);
            }
            else
            {
                var residual = name.EndsWith("attn.o_proj.weight", StringComparison.Ordinal) || name.EndsWith("ffn.down.weight", StringComparison.Ordinal);
                // Tensor.normal_ honours the generator; nn.init.normal_ in TorchSharp 0.107 ignores it.
                parameter.normal_(0, residual ? residualStd : Std, generator);
            }
        }
    }
}
