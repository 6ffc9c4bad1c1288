using DistributedAttention.Contracts;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// Routing attention's clusters: the spec's centroids (learned) or seeded N(0, 1) rows, and the
/// assignment of a vector to the centroid of largest cosine. Scores are float64 so that a row's
/// cluster does not depend on how many rows were scored with it (float32 matrix products can
/// differ in the last bit with the batch's shape, and a near-tie would then flip).
/// </summary>
public static class RoutingClusters
{
    private const long Stream = 0x2077;

    /// <summary>Unit centroids (C, d), float64, on <paramref name="device"/>.</summary>
    /// <exception cref="ArgumentException">The spec's centroids are not rows of <paramref name="dim"/>.</exception>
    public static Tensor Centroids(AttentionSpec spec, long dim, Device device)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using var scope = NewDisposeScope();
        Tensor rows;
        if (spec.Centroids.Count > 0)
        {
            if (spec.Centroids.Count != spec.Clusters * dim)
                throw new ArgumentException($"routing centroids hold {spec.Centroids.Count} numbers: {spec.Clusters} clusters of {spec.Centroids.Count / spec.Clusters}, but the heads have dimension {dim}.");
            rows = tensor(spec.Centroids.ToArray(), [spec.Clusters, dim]).to(ScalarType.Float64);
        }
        else
        {
            using var generator = new Generator(SplitMix64.Hash(spec.Seed, Stream, dim));
            rows = randn(spec.Clusters, dim, dtype: ScalarType.Float64, generator: generator);
        }
        using var tiny = 1e-12.ToScalar();
        return rows.div(rows.square().sum(1, keepdim: true).sqrt().clamp_min(tiny)).to(device).MoveToOuterDisposeScope();
    }

    /// <summary>The cluster of every row: argmax over centroids of x·μ (the lowest index on a tie).</summary>
    /// <param name="x">(bh, n, d) queries or keys.</param>
    /// <param name="centroids">(C, d) unit centroids from <see cref="Centroids"/>.</param>
    /// <returns>(bh, n) int64.</returns>
    public static Tensor Assign(Tensor x, Tensor centroids)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(centroids);
        using var scope = NewDisposeScope();
        // In slices of rows: the (rows, C) float64 scores of 256K tokens × 4 heads × 2,048 clusters at once are 17 GB.
        var flat = x.detach().reshape(-1, x.shape[^1]);
        var rows = flat.shape[0];
        var slice = Math.Max(1, ScoresPerSlice / Math.Max(1, centroids.shape[0]));
        var parts = new List<Tensor>();
        for (long start = 0; start < rows; start += slice)
        {
            using var sliceScope = NewDisposeScope();
            var length = Math.Min(slice, rows - start);
            parts.Add(flat.narrow(0, start, length).to(ScalarType.Float64).matmul(centroids.T).argmax(-1).MoveToOuterDisposeScope());
        }
        var assigned = parts.Count switch { 0 => empty(0, ScalarType.Int64, device: x.device), 1 => parts[0], _ => cat(parts, 0) };
        return assigned.reshape(x.shape[..^1]).MoveToOuterDisposeScope();
    }

    /// <summary>Scores per slice of <see cref="Assign"/> (16M float64: 128 MB).</summary>
    private const long ScoresPerSlice = 1L << 24;
}
