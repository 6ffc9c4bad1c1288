using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Testing;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Tests;

/// <summary>Routing attention against the dense masked reference, its clusters, and its refusals.</summary>
public sealed class RoutingAttentionTests
{
    [Theory]
    [InlineData(1, 4, false, 8)]
    [InlineData(90, 4, false, 8)]
    [InlineData(90, 4, true, 8)]
    [InlineData(300, 1, true, 8)]     // one cluster: exact causal full attention
    [InlineData(257, 16, false, 6)]   // value dim differs; some clusters empty
    [InlineData(700, 3, true, 8)]     // a cluster larger than a query block
    public void Routing_equals_the_dense_masked_reference(int n, int clusters, bool causal, int dv)
    {
        var spec = new AttentionSpec { Kind = AttentionKind.Routing, Clusters = clusters, Causal = causal, Seed = 5 };
        var (q, k, v) = TensorAssert.RandomQkv(n + clusters, 2, 2, n, 8, dv: dv);
        using var expected = DenseOracle.Routing(spec, q, k, v);
        using var actual = SingleDeviceAttention.Forward(spec, q, k, v);
        TensorAssert.SameResult(expected, actual, atol: 2e-5);
    }

    [Fact]
    public void One_cluster_is_full_attention()
    {
        var (q, k, v) = TensorAssert.RandomQkv(2, 1, 2, 120, 8);
        using var routing = SingleDeviceAttention.Forward(new AttentionSpec { Kind = AttentionKind.Routing, Clusters = 1, Causal = true }, q, k, v);
        using var full = SingleDeviceAttention.Forward(new AttentionSpec { Kind = AttentionKind.Full, Causal = true }, q, k, v);
        TensorAssert.SameResult(full, routing, atol: 2e-5);
    }

    [Fact]
    public void Learned_centroids_in_the_spec_decide_the_clusters()
    {
        // Two centroids along ±e0: the sign of the first coordinate decides the cluster.
        var centroids = new float[16];
        centroids[0] = 1;
        centroids[8] = -1;
        var spec = new AttentionSpec { Kind = AttentionKind.Routing, Clusters = 2, Centroids = centroids };
        var (q, k, v) = TensorAssert.RandomQkv(9, 1, 1, 64, 8);
        using var expected = DenseOracle.Routing(spec, q, k, v);
        using var actual = SingleDeviceAttention.Forward(spec, q, k, v);
        TensorAssert.SameResult(expected, actual, atol: 2e-5);
        using var seeded = SingleDeviceAttention.Forward(spec with { Centroids = [] }, q, k, v);
        Assert.False(seeded.Output.allclose(actual.Output, rtol: 1e-3, atol: 1e-4));

        using var c = RoutingClusters.Centroids(spec, 8, CPU);
        using var x = tensor(new float[] { 0.5f, 9, 9, 9, 9, 9, 9, 9, -0.5f, 9, 9, 9, 9, 9, 9, 9 }, [1, 2, 8]);
        using var assigned = RoutingClusters.Assign(x, c);
        Assert.Equal([0L, 1L], assigned.data<long>().ToArray());
    }

    [Fact]
    public void Many_rows_are_assigned_in_slices_as_one_product_would_assign_them()
    {
        // 4,096 clusters make a slice of 4,096 rows, so 2 × 5,000 rows take three slices.
        var spec = new AttentionSpec { Kind = AttentionKind.Routing, Clusters = 4096, Seed = 5 };
        using var c = RoutingClusters.Centroids(spec, 8, CPU);
        using var generator = new Generator(11);
        using var x = randn(2, 5000, 8, generator: generator);
        using var assigned = RoutingClusters.Assign(x, c);
        using var expected = x.to(ScalarType.Float64).matmul(c.T).argmax(-1);
        Assert.Equal(new long[] { 2, 5000 }, assigned.shape);
        Assert.Equal(expected.data<long>().ToArray(), assigned.data<long>().ToArray());
        using var none = RoutingClusters.Assign(zeros(1, 0, 8), c);
        Assert.Equal(new long[] { 1, 0 }, none.shape);
    }

    [Theory]
    [InlineData(0, 0, "routing clusters must be >= 1 (got 0)")]
    [InlineData(3, 7, "not a whole number of rows for 3 clusters")]
    public void Bad_routing_settings_are_refused(int clusters, int centroidNumbers, string message)
    {
        var spec = new AttentionSpec { Kind = AttentionKind.Routing, Clusters = clusters, Centroids = new float[centroidNumbers] };
        var error = Assert.Throws<ArgumentException>(spec.Validate);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Centroids_of_another_head_dimension_are_named()
    {
        var spec = new AttentionSpec { Kind = AttentionKind.Routing, Clusters = 2, Centroids = new float[2 * 16] };
        var (q, k, v) = TensorAssert.RandomQkv(1, 1, 1, 10, 8);
        var error = Assert.Throws<ArgumentException>(() => SingleDeviceAttention.Forward(spec, q, k, v));
        Assert.Contains("2 clusters of 16, but the heads have dimension 8", error.Message);
    }
}
