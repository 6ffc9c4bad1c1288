using DistributedAttention.Contracts;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>Moves between the public (batch, heads, n, d) layout and the kernels' (batch·heads, n, d).</summary>
internal static class HeadLayout
{
    /// <summary>Checks the shapes; with <paramref name="groupedKeys"/>, k and v may have fewer heads than q, a divisor of q's (grouped-query attention).</summary>
    public static void CheckInputs(Tensor q, Tensor k, Tensor v, bool groupedKeys = false)
    {
        if (q.dim() != 4 || k.dim() != 4 || v.dim() != 4)
            throw new ArgumentException($"q, k, v must be 4-D (batch, heads, n, d); got q{Shape(q)}, k{Shape(k)}, v{Shape(v)}.");
        var headsAgree = groupedKeys ? k.shape[1] > 0 && q.shape[1] % k.shape[1] == 0 : q.shape[1] == k.shape[1];
        if (q.shape[0] != k.shape[0] || !headsAgree || k.shape[0] != v.shape[0] || k.shape[1] != v.shape[1])
        {
            throw new ArgumentException(groupedKeys
                ? $"q, k, v must agree on batch, and k and v on heads, a divisor of q's; got q{Shape(q)}, k{Shape(k)}, v{Shape(v)}."
                : $"q, k, v must agree on batch and heads; got q{Shape(q)}, k{Shape(k)}, v{Shape(v)}.");
        }
        if (q.shape[3] != k.shape[3])
            throw new ArgumentException($"q and k must have the same head dim; got q{Shape(q)}, k{Shape(k)}.");
        if (k.shape[2] != v.shape[2])
            throw new ArgumentException($"k and v must have the same length; got k{Shape(k)}, v{Shape(v)}.");
        if (q.dtype != k.dtype || k.dtype != v.dtype || !q.is_floating_point())
            throw new ArgumentException($"q, k, v must share one floating dtype; got {q.dtype}, {k.dtype}, {v.dtype}.");
    }

    public static string Shape(Tensor t) => "(" + string.Join(", ", t.shape) + ")";

    /// <summary>
    /// Grouped keys or values (batch, kv heads, n, d) for every query head (batch, kv heads · g, n, d):
    /// query head h reads kv head h / g (Hugging Face's repeat_kv).
    /// </summary>
    public static Tensor RepeatGroups(Tensor kv, long groups) => groups == 1 ? kv.alias() : kv.repeat_interleave(groups, 1);

    /// <summary><see cref="RepeatGroups"/> on the kernels' flattened (batch · kv heads, n, d) layout.</summary>
    public static Tensor RepeatFlatGroups(Tensor kv, long groups) =>
        groups == 1 ? kv.alias() : kv.unsqueeze(1).expand(-1, groups, -1, -1).reshape(kv.shape[0] * groups, kv.shape[1], kv.shape[2]);

    /// <summary>(batch, heads, n, d) → (batch·heads, n, d), contiguous.</summary>
    public static Tensor Flatten(Tensor x) => x.reshape(-1, x.shape[2], x.shape[3]).contiguous();

    /// <summary>Restores (batch, heads, …) from a flattened result.</summary>
    public static AttentionResult Unflatten(AttentionResult r, long batch, long heads)
    {
        var o = r.Output.reshape(batch, heads, r.Output.shape[1], r.Output.shape[2]);
        var lse = r.Lse?.reshape(batch, heads, r.Lse.shape[1]);
        return new AttentionResult(o, lse);
    }

    public static double Scale(AttentionSpec spec, Tensor q) => spec.SoftmaxScale ?? 1.0 / Math.Sqrt(q.shape[^1]);

    /// <summary>
    /// (batch, heads, n, d) queries flattened and multiplied by <paramref name="scale"/>. At scale 1
    /// (queries the caller already scaled, e.g. inside its rotary step) no copy is made: at a shard's
    /// size the product was one more fresh tensor of the shard's size per layer.
    /// </summary>
    public static Tensor ScaledQueries(Tensor q, double scale)
    {
        var flat = Flatten(q);
        if (scale == 1.0) return flat;
        using (flat)
        using (var s = scale.ToScalar())
        {
            return flat.mul(s);
        }
    }

    public static long[] Range(long start, long count)
    {
        var r = new long[count];
        for (var i = 0; i < count; i++) r[i] = start + i;
        return r;
    }
}
