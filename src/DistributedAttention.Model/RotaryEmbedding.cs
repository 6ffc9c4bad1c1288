using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Model;

/// <summary>
/// Rotary position embedding (RoPE, Su et al. 2021) at absolute positions, in the half-split
/// layout of GPT-NeoX / LLaMA: element i of a head is paired with element i + d/2 and the pair
/// is rotated by angle <c>p · base^(-2i/d)</c>, where p is the token's absolute position.
/// </summary>
/// <remarks>
/// Angles are computed per element in float64 from the absolute position, then rounded to the
/// input's dtype, so any split of a sequence into slices gives the same numbers as the whole
/// (float32 products p·θ would lose ~0.1 rad at p = 10^6).
/// </remarks>
public sealed class RotaryEmbedding
{
    private readonly double[] inverseFrequencies;

    /// <summary>RoPE for heads of <paramref name="headDim"/> (even) with base <paramref name="base"/>.</summary>
    public RotaryEmbedding(int headDim, double @base = 10000)
    {
        if (headDim < 2 || headDim % 2 != 0) throw new ArgumentException($"rotary head dim must be even and >= 2 (got {headDim}).", nameof(headDim));
        if (!double.IsFinite(@base) || @base <= 1) throw new ArgumentException($"rotary base must be a finite number > 1 (got {@base}).", nameof(@base));
        HeadDim = headDim;
        Base = @base;
        inverseFrequencies = new double[headDim / 2];
        for (var i = 0; i < inverseFrequencies.Length; i++) inverseFrequencies[i] = Math.Pow(@base, -2.0 * i / headDim);
    }

    /// <summary>
    /// RoPE with the given inverse frequencies (d/2 of them, e.g. a checkpoint's rescaled ones):
    /// element i is paired with i + d/2 and rotated by <c>p · inverseFrequencies[i]</c>.
    /// </summary>
    public RotaryEmbedding(IReadOnlyList<double> inverseFrequencies)
    {
        ArgumentNullException.ThrowIfNull(inverseFrequencies);
        if (inverseFrequencies.Count == 0) throw new ArgumentException("rotary embeddings need at least one frequency.", nameof(inverseFrequencies));
        if (inverseFrequencies.Any(f => !double.IsFinite(f) || f <= 0)) throw new ArgumentException("rotary frequencies must be positive finite numbers.", nameof(inverseFrequencies));
        HeadDim = inverseFrequencies.Count * 2;
        Base = double.NaN;
        this.inverseFrequencies = [.. inverseFrequencies];
    }

    /// <summary>Per-head dimension d.</summary>
    public int HeadDim { get; }

    /// <summary>Frequency base θ; NaN when built from frequencies.</summary>
    public double Base { get; }

    /// <summary>Rotates <paramref name="x"/> as tokens at positions <c>startPosition .. startPosition + n - 1</c>.</summary>
    /// <param name="x">(batch, heads, n, d) queries or keys.</param>
    /// <param name="startPosition">Absolute position of the first token.</param>
    /// <param name="scale">A factor applied with the rotation at no extra cost (queries take the softmax scale here).</param>
    /// <returns>(batch, heads, n, d), same dtype and device.</returns>
    public Tensor Apply(Tensor x, long startPosition, double scale = 1.0)
    {
        if (x.dim() != 4 || x.shape[3] != HeadDim)
        {
            throw new ArgumentException($"rotary input must be (batch, heads, n, {HeadDim}); got [{string.Join(", ", x.shape)}].", nameof(x));
        }
        if (startPosition < 0) throw new ArgumentOutOfRangeException(nameof(startPosition), startPosition, "positions are >= 0.");
        using var scope = NewDisposeScope();
        var n = x.shape[2];
        var half = HeadDim / 2;
        // angles (n, d/2) in float64: p · θ_i
        using var s = new ScalarScope();
        var positions = arange(s[startPosition], s[startPosition + n], dtype: float64, device: x.device).unsqueeze(1);
        var frequencies = tensor(inverseFrequencies, dtype: float64, device: x.device).unsqueeze(0);
        var angles = positions.mul(frequencies);
        var cos = angles.cos();
        var sin = angles.sin();
        if (scale != 1.0)
        {
            cos = cos.mul(s[scale]);
            sin = sin.mul(s[scale]);
        }
        cos = cos.to(x.dtype);
        sin = sin.to(x.dtype);
        // half-split pairs (x1, x2) -> (x1·cos − x2·sin, x2·cos + x1·sin)
        var x1 = x.narrow(3, 0, half);
        var x2 = x.narrow(3, half, half);
        var out1 = x1.mul(cos).sub(x2.mul(sin));
        var out2 = x2.mul(cos).add(x1.mul(sin), KeptScalars.One);
        return cat([out1, out2], 3).MoveToOuterDisposeScope();
    }
}
