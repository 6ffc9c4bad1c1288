using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// Merges partial attention results computed over disjoint key subsets: with weights
/// exp(lse_a - lse) and exp(lse_b - lse), lse = logaddexp(lse_a, lse_b), the merge equals
/// attention over the union. Everything distributed is built on this.
/// </summary>
public static class PartialMerge
{
    private static readonly Scalar FloorLse = (-1e30f).ToScalar();

    /// <summary>Merges two partials over disjoint key sets into a new result.</summary>
    /// <param name="a">Partial (o (…, n, dv), lse (…, n)).</param>
    /// <param name="b">Partial of the same shape over other keys.</param>
    public static AttentionResult Merge(AttentionResult a, AttentionResult b)
    {
        ArgumentNullException.ThrowIfNull(a.Lse, nameof(a));
        ArgumentNullException.ThrowIfNull(b.Lse, nameof(b));
        using var scope = NewDisposeScope();
        var lse = a.Lse.logaddexp(b.Lse);
        // A row that sees nothing in both keeps lse = -inf; clamping avoids exp(-inf - -inf) = NaN.
        var safe = lse.clamp_min(FloorLse);
        var wa = InPlace.Exp(a.Lse.sub(safe)).unsqueeze(-1);
        var wb = InPlace.Exp(b.Lse.sub(safe)).unsqueeze(-1);
        var o = InPlace.Add(a.Output.mul(wa), b.Output.mul(wb));
        return new AttentionResult(o, lse).MoveToOuterDisposeScope();
    }

    /// <summary>Merges any number of partials (at least one), left to right.</summary>
    public static AttentionResult MergeAll(IReadOnlyList<AttentionResult> partials)
    {
        if (partials.Count == 0) throw new ArgumentException("at least one partial is required.", nameof(partials));
        using var scope = NewDisposeScope();
        var acc = new AttentionResult(partials[0].Output.alias(), partials[0].Lse!.alias());
        for (var i = 1; i < partials.Count; i++)
        {
            acc = Merge(acc, partials[i]);
        }
        return acc.MoveToOuterDisposeScope();
    }
}
