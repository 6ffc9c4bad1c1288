using DistributedAttention.Core.Runtime;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using static TorchSharp.torch;

namespace DistributedAttention.Testing;

/// <summary>
/// The test oracle: softmax(QKᵀ·scale + mask)·V with an explicit mask from
/// <see cref="OracleMasks"/>. O(n²) time and memory, for tests at small n only. Every
/// optimised path is asserted against it.
/// </summary>
/// <remarks>
/// Linformer's projection and Performer's random features are seeded weights, not masks: tests
/// take those tensors from production (LinformerProjection, PerformerFeatures) and apply the
/// plain formula with them (for Linformer, <see cref="Attend"/> over the projected keys). Luna's
/// packed queries are seeded weights too (<see cref="Luna"/>).
/// </remarks>
public static class DenseOracle
{
    /// <summary>Dense masked attention of <paramref name="spec"/> (Full, Window, BigBird, TransformerXl) over the whole sequence.</summary>
    /// <param name="spec">Mechanism and parameters.</param>
    /// <param name="q">(batch, heads, n, d) queries.</param>
    /// <param name="k">(batch, heads, n, d) keys.</param>
    /// <param name="v">(batch, heads, n, dv) values.</param>
    public static AttentionResult Forward(AttentionSpec spec, Tensor q, Tensor k, Tensor v)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        using var mask = OracleMasks.Mask(spec, q.shape[2], q.device);
        return Attend(q, k, v, mask, Scale(spec, q), spec.LogitSoftCap);
    }

    /// <summary>
    /// Dense Compressive Transformer: keys are the n raw keys followed by the ⌊n / c⌋ mean-pooled
    /// slots (slot t pools tokens [t·c, (t+1)·c)). Query i sees raw key j as Transformer-XL does
    /// (<see cref="OracleMasks.XlSees"/>) and slot t as <see cref="OracleMasks.SlotSees"/> says.
    /// </summary>
    public static AttentionResult Compressive(AttentionSpec spec, Tensor q, Tensor k, Tensor v)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        using var scope = NewDisposeScope();
        var n = q.shape[2];
        long c = spec.CompressionRate;
        var slots = n / c;
        var keys = new List<Tensor> { k };
        var values = new List<Tensor> { v };
        for (long t = 0; t < slots; t++)
        {
            keys.Add(k.narrow(2, t * c, c).mean([2], keepdim: true));
            values.Add(v.narrow(2, t * c, c).mean([2], keepdim: true));
        }

        var width = n + slots;
        var visible = new bool[n * width];
        for (long i = 0; i < n; i++)
        {
            for (long j = 0; j < n; j++) visible[i * width + j] = OracleMasks.XlSees(spec, i, j);
            for (long t = 0; t < slots; t++) visible[i * width + n + t] = OracleMasks.SlotSees(spec, i, t);
        }
        var mask = tensor(visible, [n, width], device: q.device);
        return Attend(q, cat(keys, 2), cat(values, 2), mask, Scale(spec, q)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Dense Luna with production's seeded packed queries P (l × d): C = softmax(P·Kᵀ/√d)·[K ‖ V]
    /// over every key (pack), then softmax(Q·C_Kᵀ·scale)·C_V (unpack), each a plain <see cref="Attend"/>.
    /// Causal: every query i gets its own pack, over keys 0..i (an (n, l, n) masked softmax).
    /// </summary>
    public static AttentionResult Luna(AttentionSpec spec, Tensor q, Tensor k, Tensor v)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        using var scope = NewDisposeScope();
        var (n, d, l) = (k.shape[2], k.shape[3], spec.PackedLength);
        var p = LunaPackedQueries.Of(spec.Seed, l, d, k.device).reshape(1, 1, l, d);
        if (spec.Causal) return CausalLuna(p, q, k, v, Scale(spec, q)).MoveToOuterDisposeScope();
        using var packed = Attend(p, k, cat([k, v], 3), ones(l, n, dtype: @bool, device: k.device), 1 / Math.Sqrt(d));
        var keys = packed.Output.narrow(3, 0, d);
        var values = packed.Output.narrow(3, d, v.shape[3]);
        return Attend(q, keys, values, ones(q.shape[2], l, dtype: @bool, device: q.device), Scale(spec, q)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Dense routing attention with production's centroids (weights: learned or seeded): the oracle
    /// assigns every query and key to the centroid of largest cosine itself, and query i sees key j
    /// when their clusters match (and j ≤ i when causal) or j = i.
    /// </summary>
    public static AttentionResult Routing(AttentionSpec spec, Tensor q, Tensor k, Tensor v)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        using var scope = NewDisposeScope();
        var (n, d) = (k.shape[2], k.shape[3]);
        var centroids = RoutingClusters.Centroids(spec, d, k.device);
        var rows = new List<AttentionResult>();
        var qf = q.reshape(-1, n, d);
        var kf = k.reshape(-1, n, d);
        var vf = v.reshape(-1, n, v.shape[3]);
        for (long b = 0; b < qf.shape[0]; b++)
        {
            var cq = qf[b].to(float64).matmul(centroids.T).argmax(-1);
            var ck = kf[b].to(float64).matmul(centroids.T).argmax(-1);
            var mask = cq.unsqueeze(1).eq(ck.unsqueeze(0));
            if (spec.Causal) mask = mask.logical_and(ones(n, n, dtype: @bool, device: q.device).tril());
            mask = mask.logical_or(eye(n, dtype: @bool, device: q.device));
            rows.Add(Attend(qf[b].unsqueeze(0).unsqueeze(0), kf[b].unsqueeze(0).unsqueeze(0), vf[b].unsqueeze(0).unsqueeze(0), mask, Scale(spec, q)));
        }
        var o = cat(rows.Select(r => r.Output).ToArray(), 0).reshape(q.shape[0], q.shape[1], n, v.shape[3]);
        var lse = cat(rows.Select(r => r.Lse!).ToArray(), 0).reshape(q.shape[0], q.shape[1], n);
        return new AttentionResult(o, lse).MoveToOuterDisposeScope();
    }

    private static AttentionResult CausalLuna(Tensor p, Tensor q, Tensor k, Tensor v, double scale)
    {
        var (n, d) = (k.shape[2], k.shape[3]);
        var scores = p.matmul(k.transpose(-2, -1)).div(Math.Sqrt(d));                    // (b, h, l, n)
        var visible = ones(n, n, dtype: @bool, device: k.device).tril().unsqueeze(1);    // (i, 1, j): j ≤ i
        var perQuery = scores.unsqueeze(2).masked_fill(visible.logical_not(), KeptScalars.NegativeInfinity); // (b, h, i, l, j)
        var packs = perQuery.softmax(-1).matmul(cat([k, v], 3).unsqueeze(2));            // (b, h, i, l, d + dv)
        var unpack = packs.narrow(4, 0, d).matmul(q.unsqueeze(-1)).squeeze(-1).mul(scale); // (b, h, i, l)
        var o = unpack.softmax(-1).unsqueeze(-2).matmul(packs.narrow(4, d, v.shape[3])).squeeze(-2);
        return new AttentionResult(o, unpack.logsumexp(-1));
    }

    /// <summary>softmax(QKᵀ·scale masked)·V and its lse; rows with no visible key give o = 0, lse = −inf.</summary>
    /// <param name="q">(batch, heads, nq, d) queries.</param>
    /// <param name="k">(batch, heads, nk, d) keys.</param>
    /// <param name="v">(batch, heads, nk, dv) values.</param>
    /// <param name="mask">(nq, nk) boolean, true = visible.</param>
    /// <param name="scale">Score scale.</param>
    /// <param name="softCap">Scores become c · tanh(s / c) before the mask; null: not capped.</param>
    public static AttentionResult Attend(Tensor q, Tensor k, Tensor v, Tensor mask, double scale, double? softCap = null)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(mask);
        using var scope = NewDisposeScope();
        var scores = q.matmul(k.transpose(-2, -1)).mul(scale);
        if (softCap is { } c) scores = scores.div(c).tanh().mul(c);
        scores = scores.masked_fill(mask.logical_not(), KeptScalars.NegativeInfinity);
        var lse = scores.logsumexp(-1, keepdim: true);
        // A row that sees nothing has lse = −inf; subtracting 0 instead keeps its weights exp(−inf) = 0.
        var weights = scores.sub(lse.masked_fill(lse.isinf(), KeptScalars.Zero)).exp();
        return new AttentionResult(weights.matmul(v), lse.squeeze(-1)).MoveToOuterDisposeScope();
    }

    private static double Scale(AttentionSpec spec, Tensor q) => spec.SoftmaxScale ?? 1.0 / Math.Sqrt(q.shape[3]);
}
