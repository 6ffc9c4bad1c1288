using DistributedAttention.Contracts;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// The oracle: softmax(QKᵀ·scale + mask)·V with an explicit (n × n) mask. O(n²) time and
/// memory, for tests at small n only. Every optimised path is asserted against it.
/// </summary>
public static class DenseReference
{
    /// <summary>
    /// The (nq × nk) boolean visibility mask of <paramref name="spec"/> for queries and keys at
    /// positions 0..n-1 (true = visible). Defined for Full, Window, BigBird and TransformerXl.
    /// </summary>
    public static Tensor Mask(AttentionSpec spec, long n, Device? device = null)
    {
        using var scope = NewDisposeScope();
        var i = arange(n, dtype: int64, device: device).unsqueeze(1);
        var j = arange(n, dtype: int64, device: device).unsqueeze(0);
        var visible = ones(n, n, dtype: @bool, device: device);

        switch (spec.Kind)
        {
            case AttentionKind.Full:
                break;
            case AttentionKind.Window:
            case AttentionKind.BigBird:
                visible = WindowMask(spec, i, j);
                if (spec.Kind == AttentionKind.BigBird) visible = visible.logical_or(RandomBlockMask(spec, n, device));
                visible = visible.logical_or(GlobalMask(spec.GlobalPositions, n, device));
                break;
            case AttentionKind.TransformerXl:
                var segmentStart = i.div(spec.SegmentLength, rounding_mode: RoundingMode.floor).mul(spec.SegmentLength);
                // Transformer-XL is causal by construction: memory and the segment up to the query.
                visible = j.ge(segmentStart - spec.MemoryLength).logical_and(j.le(i));
                break;
            default:
                throw new ArgumentException($"no dense mask for {spec.Kind}; it has its own reference.", nameof(spec));
        }
        if (spec.Causal) visible = visible.logical_and(j.le(i));
        return visible.MoveToOuterDisposeScope();
    }

    /// <summary>Dense masked attention of <paramref name="spec"/> over the whole sequence.</summary>
    /// <param name="spec">Mechanism and parameters.</param>
    /// <param name="q">(batch, heads, n, d) queries.</param>
    /// <param name="k">(batch, heads, n, d) keys.</param>
    /// <param name="v">(batch, heads, n, dv) values.</param>
    public static AttentionResult Forward(AttentionSpec spec, Tensor q, Tensor k, Tensor v)
    {
        spec.Validate();
        using var mask = Mask(spec, q.shape[2], q.device);
        return Attend(q, k, v, mask, spec.SoftmaxScale ?? 1.0 / Math.Sqrt(q.shape[3]));
    }

    /// <summary>
    /// Dense Compressive Transformer reference: keys are the n raw keys followed by the n / c
    /// mean-pooled slots, with the mask written out per (query, key) from the definition.
    /// </summary>
    public static AttentionResult Compressive(AttentionSpec spec, Tensor q, Tensor k, Tensor v)
    {
        spec.Validate();
        using var scope = NewDisposeScope();
        var n = q.shape[2];
        var c = spec.CompressionRate;
        var slots = n / c;
        var pooledK = new List<Tensor> { k };
        var pooledV = new List<Tensor> { v };
        for (long t = 0; t < slots; t++)
        {
            pooledK.Add(k.narrow(2, t * c, c).mean([2], keepdim: true));
            pooledV.Add(v.narrow(2, t * c, c).mean([2], keepdim: true));
        }
        var mask = zeros(n, n + slots, dtype: @bool);
        var xl = spec with { Kind = AttentionKind.TransformerXl };
        mask.narrow(1, 0, n).copy_(Mask(xl, n));
        for (long i = 0; i < n; i++)
        {
            var memoryStart = i / spec.SegmentLength * spec.SegmentLength - spec.MemoryLength;
            for (long t = 0; t < slots; t++)
            {
                // Slot t is compressed memory once all its tokens precede the raw memory, and it is among the last Mc such slots.
                var slotEnd = (t + 1) * c;
                if (slotEnd <= memoryStart && slotEnd > memoryStart - (long)spec.CompressedLength * c) mask[i, n + t] = true;
            }
        }
        return Attend(q, cat(pooledK, 2), cat(pooledV, 2), mask.to(q.device), spec.SoftmaxScale ?? 1.0 / Math.Sqrt(q.shape[3]))
            .MoveToOuterDisposeScope();
    }

    /// <summary>softmax(QKᵀ·scale masked)·V and its lse; rows with no visible key give o = 0, lse = -inf.</summary>
    /// <param name="q">(batch, heads, nq, d) queries.</param>
    /// <param name="k">(batch, heads, nk, d) keys.</param>
    /// <param name="v">(batch, heads, nk, dv) values.</param>
    /// <param name="mask">(nq, nk) boolean, true = visible.</param>
    /// <param name="scale">Score scale.</param>
    public static AttentionResult Attend(Tensor q, Tensor k, Tensor v, Tensor mask, double scale)
    {
        using var scope = NewDisposeScope();
        // similarity
        var scores = q.matmul(k.transpose(-2, -1)).mul(scale);
        // masking
        scores = scores.masked_fill(mask.logical_not(), float.NegativeInfinity);
        // attend
        var lse = scores.logsumexp(-1, keepdim: true);
        var safeLse = lse.masked_fill(lse.isinf(), 0);
        var p = scores.sub(safeLse).exp();
        // aggregate
        var o = p.matmul(v);
        return new AttentionResult(o, lse.squeeze(-1)).MoveToOuterDisposeScope();
    }

    /// <summary>The banded (and dilated) window part of the mask.</summary>
    internal static Tensor WindowMask(AttentionSpec spec, Tensor i, Tensor j)
    {
        var delta = j - i;
        var visible = ones_like(delta, dtype: @bool);
        if (spec.WindowLeft is { } left) visible = visible.logical_and(delta.ge(-(long)left * spec.Dilation));
        if (spec.EffectiveRight is { } right) visible = visible.logical_and(delta.le((long)right * spec.Dilation));
        if (spec.Dilation > 1) visible = visible.logical_and(delta.remainder(spec.Dilation).eq(0));
        return visible;
    }

    /// <summary>Rows and columns of global tokens (positions beyond n are ignored).</summary>
    internal static Tensor GlobalMask(IReadOnlyList<long> globals, long n, Device? device)
    {
        var isGlobal = zeros(n, dtype: @bool, device: device);
        var inRange = globals.Where(g => g < n).ToArray();
        if (inRange.Length > 0) isGlobal.index_fill_(0, tensor(inRange, device: device), true);
        return isGlobal.unsqueeze(1).logical_or(isGlobal.unsqueeze(0));
    }

    /// <summary>BigBird's random key blocks for every query block.</summary>
    internal static Tensor RandomBlockMask(AttentionSpec spec, long n, Device? device)
    {
        var b = spec.BlockSize;
        var blocks = (int)((n + b - 1) / b);
        var blockMask = zeros(blocks, blocks, dtype: @bool);
        for (var qb = 0; qb < blocks; qb++)
        {
            foreach (var kb in BigBirdPattern.RandomKeyBlocks(spec.Seed, qb, blocks, spec.RandomBlocks, spec.Causal))
            {
                blockMask[qb, kb] = true;
            }
        }
        return blockMask.repeat_interleave(b, 0).repeat_interleave(b, 1)[..(int)n, ..(int)n].to(device ?? CPU);
    }
}
