using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// FAVOR+ positive orthogonal random features: ω (m × d) built from blocks of orthonormal rows
/// (QR of a seeded Gaussian) rescaled by chi-distributed norms, and
/// φ(x) = exp(ω·x' − |x'|²/2 − c) / sqrt(m) with x' = x·sqrt(scale), so E[φ(q)·φ(k)] ∝ exp(q·k·scale).
/// </summary>
public static class PerformerFeatures
{
    /// <summary>The seeded projection ω: (m, d), identical on every shard.</summary>
    public static Tensor Omega(ulong seed, int features, long dim, Device? device = null)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(SplitMix64.Hash(seed, 0xFA7));
        var blocks = new List<Tensor>();
        for (long rows = 0; rows < features; rows += dim)
        {
            var gaussian = randn(dim, dim, dtype: float64, generator: generator);
            var (orthonormal, _) = linalg.qr(gaussian);
            blocks.Add(orthonormal.T.narrow(0, 0, Math.Min(dim, features - rows)));
        }
        var norms = randn(features, dim, dtype: float64, generator: generator).norm(1, keepdim: true);
        var omega = cat(blocks, 0).mul(norms).to(float32);
        return omega.to(device ?? CPU).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Key features φ(k): (bh, n, m). The stabiliser c = max_r |ω_r|²/2 is data-independent (and
    /// bounds the exponent by 0), so every shard computes identical features on its own.
    /// </summary>
    public static Tensor Keys(Tensor k, Tensor omega, double scale)
    {
        using var scope = NewDisposeScope();
        using var s = new ScalarScope();
        var c = omega.square().sum(1).max().item<float>() / 2;
        return InPlace.Div(InPlace.Exp(InPlace.Sub(Map(k, omega, scale), s[c])), s[Math.Sqrt(omega.shape[0])]).MoveToOuterDisposeScope();
    }

    /// <summary>Query features φ(q): (bh, n, m), stabilised per row (the row constant cancels).</summary>
    public static Tensor Queries(Tensor q, Tensor omega, double scale)
    {
        using var scope = NewDisposeScope();
        using var s = new ScalarScope();
        var logits = Map(q, omega, scale);
        return InPlace.Div(InPlace.Exp(InPlace.Sub(logits, logits.amax([-1], keepdim: true))), s[Math.Sqrt(omega.shape[0])]).MoveToOuterDisposeScope();
    }

    /// <summary>ω·x' − |x'|²/2 with x' = x·sqrt(scale).</summary>
    private static Tensor Map(Tensor x, Tensor omega, double scale)
    {
        using var s = new ScalarScope();
        var xs = x.mul(s[Math.Sqrt(scale)]);
        return InPlace.Sub(xs.matmul(omega.to(x.dtype).T), xs.square().sum(-1, keepdim: true).div_(s[2]));
    }
}
