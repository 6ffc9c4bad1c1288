using Orleans;

namespace DistributedAttention.Contracts;

/// <summary>
/// The shapes of one attention call, in SDPA's layout: q and k are (batch, heads, n, d), v is
/// (batch, heads, n, dv). The distributed job splits the one sequence dimension n, so q, k and
/// v must share it.
/// </summary>
/// <param name="Batch">Batch size.</param>
/// <param name="Heads">Heads.</param>
/// <param name="Length">Sequence length n.</param>
/// <param name="HeadDim">q/k head dim d.</param>
/// <param name="ValueDim">v head dim dv.</param>
[GenerateSerializer, Immutable, Alias("distattn.AttentionShape")]
public sealed record AttentionShape(long Batch, long Heads, long Length, long HeadDim, long ValueDim)
{
    /// <summary>Checks the three shapes against each other.</summary>
    /// <exception cref="ArgumentException">A shape is not 4-D, has an empty dimension, or disagrees with the others; the message names the tensor.</exception>
    public static AttentionShape Of(IReadOnlyList<long> q, IReadOnlyList<long> k, IReadOnlyList<long> v)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        foreach (var (name, shape) in new[] { ("q", q), ("k", k), ("v", v) })
        {
            if (shape.Count != 4) throw new ArgumentException($"tensor '{name}' must be 4-D (batch, heads, n, d); got {Format(shape)}.");
            if (shape.Any(s => s < 1)) throw new ArgumentException($"tensor '{name}' has an empty dimension: {Format(shape)}.");
        }
        if (k[0] != q[0] || k[1] != q[1] || v[0] != q[0] || v[1] != q[1])
        {
            throw new ArgumentException($"q, k and v must agree on batch and heads; got q {Format(q)}, k {Format(k)}, v {Format(v)}.");
        }
        if (k[2] != q[2] || v[2] != q[2])
        {
            throw new ArgumentException($"q, k and v must have the same length n (the sequence the cluster splits); got q {Format(q)}, k {Format(k)}, v {Format(v)}.");
        }
        if (k[3] != q[3]) throw new ArgumentException($"q and k must have the same head dim d; got q {Format(q)}, k {Format(k)}.");
        return new AttentionShape(q[0], q[1], q[2], q[3], v[3]);
    }

    /// <summary>"(a, b, c, d)".</summary>
    public static string Format(IReadOnlyList<long> shape) => TensorChunkRules.Format(shape);
}
