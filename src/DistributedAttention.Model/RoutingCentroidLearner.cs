using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Model;

/// <summary>
/// Online k-means for routing attention (as in the Routing Transformer): after a training step's
/// attention, every unit-normalised query and key of the batch goes to its nearest centroid, and
/// each centroid that received vectors moves toward their mean, μ ← λ·μ + (1 − λ)·mean, with
/// λ = <see cref="Decay"/>. No gradient flows through the centroids; the update is a pure
/// function of the batch, so an exact resume stays exact.
/// </summary>
public static class RoutingCentroidLearner
{
    /// <summary>λ: the weight of the old centroid in each step's update.</summary>
    public const double Decay = 0.99;

    /// <summary>The centroids after one step: (Clusters × d) numbers, row-major.</summary>
    /// <param name="spec">The layer's routing spec (its current or seeded centroids).</param>
    /// <param name="q">(batch, heads, n, d) the step's queries.</param>
    /// <param name="k">(batch, heads, n, d) the step's keys.</param>
    public static float[] Update(AttentionSpec spec, Tensor q, Tensor k)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var d = q.shape[^1];
        var x = cat([q.detach().reshape(-1, d), k.detach().reshape(-1, d)], 0).to(ScalarType.Float64).cpu();
        using var tiny = 1e-12.ToScalar();
        x = x.div(x.square().sum(1, keepdim: true).sqrt().clamp_min(tiny));
        var centroids = RoutingClusters.Centroids(spec, d, CPU);
        var assigned = x.matmul(centroids.T).argmax(-1);
        using var one = 1.0.ToScalar();
        var sums = zeros(spec.Clusters, d, dtype: ScalarType.Float64).index_add_(0, assigned, x, one);
        var counts = bincount(assigned, minlength: spec.Clusters).to(ScalarType.Float64).unsqueeze(1);
        using var keep = Decay.ToScalar();
        using var move = (1 - Decay).ToScalar();
        var moved = centroids.mul(keep).add(sums.div(counts.clamp_min(one)).mul(move), one);
        using var zero = 0.0.ToScalar();
        var updated = where(counts.gt(zero), moved, centroids);
        return updated.to(ScalarType.Float32).data<float>().ToArray();
    }
}
