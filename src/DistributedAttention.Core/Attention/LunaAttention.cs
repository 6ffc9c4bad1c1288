using DistributedAttention.Contracts;
using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// Luna (Ma et al., 2021), parameter-free as every mechanism here: the seeded packed sequence P
/// (<see cref="LunaPackedQueries"/>, l rows) attends to every key with scale 1/√d and gathers the
/// keys and values, C = softmax(P·Kᵀ/√d)·[K ‖ V] (pack); then each query attends to the l packed
/// keys and values, softmax(Q·C_Kᵀ·scale)·C_V (unpack). The pack is softmax attention of l rows
/// over the sequence, so shards merge their partial packs (log-sum-exp merge) and every shard
/// unpacks locally. Memory and time are linear in n. Causal Luna (<see cref="LunaCausal"/>) packs,
/// for each query, only the keys at or before it: exact, and still linear in n.
/// </summary>
/// <remarks>
/// The paper passes each layer's packed output on to the next layer and gives it learned
/// projections; here each layer packs from the seeded P, which keeps a layer a function of its
/// q, k and v alone, like the other mechanisms.
/// </remarks>
public static class LunaAttention
{
    private const int KeyChunk = 4096;

    /// <summary>Luna attention over the whole sequence.</summary>
    /// <param name="spec">A Luna spec (PackedLength, Seed, SoftmaxScale for the unpack).</param>
    /// <param name="q">(batch, heads, n, d) queries.</param>
    /// <param name="k">(batch, heads, n, d) keys.</param>
    /// <param name="v">(batch, heads, n, dv) values.</param>
    /// <returns>Output and lse over the packed keys.</returns>
    public static AttentionResult Forward(AttentionSpec spec, Tensor q, Tensor k, Tensor v)
    {
        spec.Validate();
        HeadLayout.CheckInputs(q, k, v);
        using var scope = NewDisposeScope();
        var kf = HeadLayout.Flatten(k);
        var vf = HeadLayout.Flatten(v);
        var qs = HeadLayout.ScaledQueries(q, HeadLayout.Scale(spec, q));
        if (spec.Causal)
        {
            using var none = EmptyPack(spec, kf, vf.shape[2]);
            return HeadLayout.Unflatten(LunaCausal.Forward(spec, qs, kf, vf, none), q.shape[0], q.shape[1]).MoveToOuterDisposeScope();
        }
        using var packed = Pack(spec, kf, vf, 0);
        var result = Unpack(spec, qs, packed, 0, kf.shape[2]);
        return HeadLayout.Unflatten(result, q.shape[0], q.shape[1]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The pack over keys at absolute positions start .. start+len-1: attention of P over them,
    /// with lse, so packs over disjoint key ranges merge (<see cref="PartialMerge"/>) into the pack
    /// over their union.
    /// </summary>
    /// <param name="spec">The Luna spec.</param>
    /// <param name="k">(bh, len, d) keys.</param>
    /// <param name="v">(bh, len, dv) values.</param>
    /// <param name="start">Absolute position of the first key (the pack sees every key, so only bookkeeping).</param>
    /// <returns>Packed rows (bh, l, d + dv): keys then values, and their lse (bh, l).</returns>
    public static AttentionResult Pack(AttentionSpec spec, Tensor k, Tensor v, long start)
    {
        using var scope = NewDisposeScope();
        var (bh, len, d) = (k.shape[0], k.shape[1], k.shape[2]);
        var queries = ScaledPackedQueries(spec, d, k.dtype, k.device).unsqueeze(0).expand(bh, -1, -1);
        var kernel = new IntervalAttention { QueryBlock = spec.PackedLength, KeyChunk = KeyChunk };
        var result = kernel.Forward(queries, k, cat([k, v], 2), HeadLayout.Range(0, spec.PackedLength), start, _ => (start, start + len - 1));
        kernel.ClearMasks();
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>P/√d: the packed queries with the pack's fixed score scale folded in, (l, d).</summary>
    internal static Tensor ScaledPackedQueries(AttentionSpec spec, long d, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        using var scale = (1.0 / Math.Sqrt(d)).ToScalar();
        return LunaPackedQueries.Of(spec.Seed, spec.PackedLength, d, device).to(dtype).mul(scale).MoveToOuterDisposeScope();
    }

    /// <summary>The pack of no keys: zero rows with lse −inf, the identity of the merge.</summary>
    /// <param name="spec">The Luna spec.</param>
    /// <param name="like">(bh, ·, d) keys: batch·heads, d, dtype and device.</param>
    /// <param name="valueDim">dv.</param>
    public static AttentionResult EmptyPack(AttentionSpec spec, Tensor like, long valueDim) => new(
        zeros(like.shape[0], spec.PackedLength, like.shape[2] + valueDim, dtype: like.dtype, device: like.device),
        full(like.shape[0], spec.PackedLength, KeptScalars.NegativeInfinity, dtype: like.dtype, device: like.device));

    /// <summary>The unpack: queries (already scaled) attend to the packed keys and values.</summary>
    /// <param name="spec">The Luna spec.</param>
    /// <param name="qs">(bh, rows, d) scaled queries.</param>
    /// <param name="packed">The whole sequence's pack (<see cref="Pack"/>, merged).</param>
    /// <param name="start">Absolute position of the first query.</param>
    /// <param name="keyDim">d: the packed rows hold d key columns, then the value columns.</param>
    /// <returns>(o (bh, rows, dv), lse (bh, rows)).</returns>
    public static AttentionResult Unpack(AttentionSpec spec, Tensor qs, AttentionResult packed, long start, long keyDim)
    {
        using var scope = NewDisposeScope();
        var rows = packed.Output;
        var keys = rows.narrow(2, 0, keyDim);
        var values = rows.narrow(2, keyDim, rows.shape[2] - keyDim);
        var kernel = new IntervalAttention { QueryBlock = 256, KeyChunk = spec.PackedLength };
        var result = kernel.Forward(qs, keys, values, HeadLayout.Range(start, qs.shape[1]), 0, _ => (0, spec.PackedLength - 1));
        kernel.ClearMasks();
        return result.MoveToOuterDisposeScope();
    }
}
