using DistributedAttention.Contracts;
using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// Performer (FAVOR+): o_i = φ(q_i)·S / φ(q_i)·z with S = Σ_j φ(k_j) v_jᵀ and z = Σ_j φ(k_j)
/// over all keys, or over j ≤ i when causal (prefix sums, chunk by chunk). Linear in n. There
/// is no softmax normaliser, so no lse.
/// </summary>
public static class PerformerAttention
{
    private const long Chunk = 256;

    /// <summary>Performer attention over the whole sequence.</summary>
    /// <param name="spec">A Performer spec (Features, Seed, Causal).</param>
    /// <param name="q">(batch, heads, n, d) queries.</param>
    /// <param name="k">(batch, heads, n, d) keys.</param>
    /// <param name="v">(batch, heads, n, dv) values.</param>
    /// <returns>Output (batch, heads, n, dv); Lse is null.</returns>
    public static AttentionResult Forward(AttentionSpec spec, Tensor q, Tensor k, Tensor v)
    {
        spec.Validate();
        HeadLayout.CheckInputs(q, k, v);
        using var scope = NewDisposeScope();
        var scale = HeadLayout.Scale(spec, q);
        var omega = PerformerFeatures.Omega(spec.Seed, spec.Features, q.shape[3], q.device);
        var phiQ = PerformerFeatures.Queries(HeadLayout.Flatten(q), omega, scale);
        var phiK = PerformerFeatures.Keys(HeadLayout.Flatten(k), omega, scale);
        var vf = HeadLayout.Flatten(v);
        var o = spec.Causal ? Causal(phiQ, phiK, vf) : NonCausal(phiQ, phiK, vf);
        var output = o.reshape(q.shape[0], q.shape[1], q.shape[2], v.shape[3]);
        return new AttentionResult(output, null).MoveToOuterDisposeScope();
    }

    /// <summary>φ(Q)·(φ(K)ᵀV) / φ(Q)·Σφ(K).</summary>
    internal static Tensor NonCausal(Tensor phiQ, Tensor phiK, Tensor v)
    {
        using var scope = NewDisposeScope();
        var (state, normaliser) = State(phiK, v);
        return Output(phiQ, state, normaliser).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The key-side sums of a block of keys: S = Σ φ(k) vᵀ (bh, m, dv) and z = Σ φ(k) (bh, m, 1).
    /// Sums over disjoint blocks add up, so shards reduce (or prefix-scan) them.
    /// </summary>
    /// <param name="phiK">(bh, n, m) key features.</param>
    /// <param name="v">(bh, n, dv) values.</param>
    public static (Tensor State, Tensor Normaliser) State(Tensor phiK, Tensor v)
    {
        ArgumentNullException.ThrowIfNull(phiK);
        return (phiK.transpose(1, 2).bmm(v), phiK.sum(1).unsqueeze(-1));
    }

    /// <summary>Non-causal output from the sums of every key: φ(q)·S / φ(q)·z.</summary>
    public static Tensor Output(Tensor phiQ, Tensor state, Tensor normaliser)
    {
        ArgumentNullException.ThrowIfNull(phiQ);
        using var scope = NewDisposeScope();
        return Normalise(phiQ.bmm(state), phiQ.bmm(normaliser)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Causal prefix sums: within a chunk a masked quadratic term, across chunks the running
    /// state, which starts at (<paramref name="initialState"/>, <paramref name="initialNormaliser"/>):
    /// the sums over every earlier key (other shards' keys, from a prefix scan), or zero.
    /// </summary>
    /// <param name="phiQ">(bh, n, m) query features.</param>
    /// <param name="phiK">(bh, n, m) key features.</param>
    /// <param name="v">(bh, n, dv) values.</param>
    /// <param name="initialState">(bh, m, dv) Σ φ(k) vᵀ over earlier keys, or null for none.</param>
    /// <param name="initialNormaliser">(bh, m, 1) Σ φ(k) over earlier keys, or null for none.</param>
    public static Tensor Causal(Tensor phiQ, Tensor phiK, Tensor v, Tensor? initialState = null, Tensor? initialNormaliser = null)
    {
        ArgumentNullException.ThrowIfNull(phiQ);
        ArgumentNullException.ThrowIfNull(phiK);
        ArgumentNullException.ThrowIfNull(v);
        using var outer = NewDisposeScope();
        var (bh, n, m) = (phiQ.shape[0], phiQ.shape[1], phiQ.shape[2]);
        var output = empty(bh, n, v.shape[2], dtype: v.dtype, device: v.device);
        var state = initialState?.clone() ?? zeros(bh, m, v.shape[2], dtype: v.dtype, device: v.device);
        var normaliser = initialNormaliser?.clone() ?? zeros(bh, m, 1, dtype: v.dtype, device: v.device);
        for (long s = 0; s < n; s += Chunk)
        {
            using var scope = NewDisposeScope();
            var c = Math.Min(Chunk, n - s);
            var fq = phiQ.narrow(1, s, c);
            var fk = phiK.narrow(1, s, c);
            var vc = v.narrow(1, s, c);
            var local = InPlace.Tril(fq.bmm(fk.transpose(1, 2)));
            var numerator = InPlace.Add(local.bmm(vc), fq.bmm(state));
            var denominator = InPlace.Add(local.sum(-1, keepdim: true), fq.bmm(normaliser));
            output.narrow(1, s, c).copy_(Normalise(numerator, denominator));
            state = InPlace.Accumulate(state, fk.transpose(1, 2).bmm(vc));
            normaliser = InPlace.Accumulate(normaliser, fk.sum(1).unsqueeze(-1));
        }
        return output.MoveToOuterDisposeScope();
    }

    private static readonly Scalar TinyDenominator = 1e-30f.ToScalar();

    // A row whose features all underflowed has a zero denominator; give it a zero output, not NaN.
    private static Tensor Normalise(Tensor numerator, Tensor denominator) =>
        InPlace.MaskedFill(numerator.div(denominator.clamp_min(TinyDenominator)), denominator.eq(KeptScalars.Zero), KeptScalars.Zero);
}
