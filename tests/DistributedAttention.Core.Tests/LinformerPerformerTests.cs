using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Testing;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Tests;

public sealed class LinformerPerformerTests
{
    [Theory]
    [InlineData(1, 4)]
    [InlineData(100, 16)]
    [InlineData(2500, 32)]   // spans several projection column blocks
    public void Linformer_equals_its_formula_with_the_same_projection(int n, int projected)
    {
        var spec = new AttentionSpec { Kind = AttentionKind.Linformer, ProjectedLength = projected, Seed = 7 };
        var (q, k, v) = TensorAssert.RandomQkv(n, 1, 2, n, 8);
        // Plain formula: E (k × n) materialised, K' = E·K, V' = E·V, softmax(Q·K'ᵀ·scale)·V'.
        // E is production's seeded projection (weights, not a mask); the oracle only applies the formula.
        using var e = LinformerProjection.Columns(7, projected, n, 0, n);
        using var kp = e.matmul(k);
        using var vp = e.matmul(v);
        using var all = ones(n, projected, dtype: @bool);
        using var expected = DenseOracle.Attend(q, kp, vp, all, 1 / Math.Sqrt(8));
        using var actual = SingleDeviceAttention.Forward(spec, q, k, v);
        TensorAssert.SameResult(expected, actual, atol: 1e-4);
    }

    [Fact]
    public void Linformer_projection_is_a_function_of_absolute_position()
    {
        using var whole = LinformerProjection.Columns(3, 8, 5000, 0, 5000);
        foreach (var (start, count) in new[] { (0L, 1L), (1000L, 2000L), (1023L, 2L), (4999L, 1L) })
        {
            using var part = LinformerProjection.Columns(3, 8, 5000, start, count);
            Assert.True(whole.narrow(1, start, count).eq(part).all().item<bool>());
        }
        using var otherSeed = LinformerProjection.Columns(4, 8, 5000, 0, 5000);
        Assert.False(whole.eq(otherSeed).all().item<bool>());
    }

    [Fact]
    public void Linformer_projection_sums_over_any_split()
    {
        var spec = new AttentionSpec { Kind = AttentionKind.Linformer, ProjectedLength = 16 };
        var (_, k, v) = TensorAssert.RandomQkv(8, 1, 2, 3000, 8);
        var kf = k.reshape(2, 3000, 8);
        var vf = v.reshape(2, 3000, 8);
        var (kAll, vAll) = LinformerAttention.Project(spec, kf, vf, 0, 3000);
        var (k1, v1) = LinformerAttention.Project(spec, kf.narrow(1, 0, 1234), vf.narrow(1, 0, 1234), 0, 3000);
        var (k2, v2) = LinformerAttention.Project(spec, kf.narrow(1, 1234, 1766), vf.narrow(1, 1234, 1766), 1234, 3000);
        TensorAssert.Close(kAll, k1 + k2, atol: 1e-4);
        TensorAssert.Close(vAll, v1 + v2, atol: 1e-4);
    }

    [Fact]
    public void Linformer_rejects_causal()
    {
        var error = Assert.Throws<ArgumentException>(new AttentionSpec { Kind = AttentionKind.Linformer, Causal = true }.Validate);
        Assert.Contains("causal", error.Message);
    }

    [Theory]
    [InlineData(1, false, 16)]
    [InlineData(1, true, 16)]
    [InlineData(200, false, 24)]   // features not a multiple of d
    [InlineData(700, true, 64)]    // several causal chunks
    public void Performer_equals_its_formula_with_the_same_features(int n, bool causal, int features)
    {
        const int d = 16;
        var spec = new AttentionSpec { Kind = AttentionKind.Performer, Features = features, Causal = causal, Seed = 11 };
        var (q, k, v) = TensorAssert.RandomQkv(n, 2, 2, n, d);
        using var omega = PerformerFeatures.Omega(11, features, d);
        using var expected = PlainFavor(q, k, v, omega, 1 / Math.Sqrt(d), causal);
        using var actual = SingleDeviceAttention.Forward(spec, q, k, v);
        Assert.Null(actual.Lse);
        TensorAssert.Close(expected, actual.Output, atol: 1e-4, rtol: 1e-3);
    }

    [Fact]
    public void Performer_features_are_orthogonal_within_blocks()
    {
        using var omega = PerformerFeatures.Omega(5, 32, 16);
        using var unit = omega / omega.norm(1, keepdim: true);
        using var gram = unit.narrow(0, 0, 16).matmul(unit.narrow(0, 0, 16).T);
        TensorAssert.Close(eye(16), gram, atol: 1e-5);
    }

    [Fact]
    public void Performer_approximates_softmax_attention_with_many_features()
    {
        // Compared with the crude guess "every key weighs the same", FAVOR+ must be far closer.
        // Its variance grows like exp(|q + k|²·scale), so the check uses moderate inputs.
        var (q0, k0, v) = TensorAssert.RandomQkv(21, 1, 1, 64, 8);
        using var q = q0.mul(0.6);
        using var k = k0.mul(0.6);
        var spec = new AttentionSpec { Kind = AttentionKind.Performer, Features = 4096 };
        using var exact = DenseOracle.Forward(new AttentionSpec { Kind = AttentionKind.Full }, q, k, v);
        using var approx = SingleDeviceAttention.Forward(spec, q, k, v);
        using var uniform = v.mean([2], keepdim: true).expand_as(v);
        var error = (exact.Output - approx.Output).abs().mean().item<float>();
        var baseline = (exact.Output - uniform).abs().mean().item<float>();
        Assert.True(error < 0.35 * baseline, $"mean error {error} vs uniform-attention error {baseline}");
    }

    /// <summary>φ(x) = exp(ω·x' − |x'|²/2)/√m without stabilisers, in float64; A = φ(Q)φ(K)ᵀ; o = A·V / A·1.</summary>
    private static Tensor PlainFavor(Tensor q, Tensor k, Tensor v, Tensor omega, double scale, bool causal)
    {
        using var scope = NewDisposeScope();
        var w = omega.to(float64);
        Tensor Phi(Tensor x)
        {
            var xs = x.to(float64).mul(Math.Sqrt(scale));
            return xs.matmul(w.T).sub(xs.square().sum(-1, keepdim: true).div(2)).exp().div(Math.Sqrt(w.shape[0]));
        }
        var a = Phi(q).matmul(Phi(k).transpose(-2, -1));
        if (causal) a = a.tril();
        var o = a.matmul(v.to(float64)).div(a.sum(-1, keepdim: true));
        return o.to(float32).MoveToOuterDisposeScope();
    }
}
