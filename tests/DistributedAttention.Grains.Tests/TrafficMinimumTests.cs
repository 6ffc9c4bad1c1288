using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Distributed;
using DistributedAttention.Testing;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Tests;

/// <summary>
/// Pins the bytes a window + global attention job exchanges, as counted in its JobStatus, to the
/// formulas of docs/benchmarks.md ("Cluster"): the halo moves exactly the theoretical minimum,
/// the all-gather (P−1)·G rows of K, V and Q, the reduce-merge 2(P−1)·G partial rows; so the
/// cluster benchmark's "minimum" and "formula" columns rest on tested numbers.
/// </summary>
public sealed class TrafficMinimumTests(JobCluster fixture) : IClassFixture<JobCluster>
{
    private const long N = 300, Batch = 2, Heads = 2, D = 16, Dv = 8, BatchHeads = Batch * Heads;

    // 92 lies in shard 0's right halo and 205 in shard 2's left halo (layout 90/120/90), so the
    // minimum must not count their K/V twice.
    private static readonly long[] Globals = [0, 92, 205, 250];

    private static readonly AttentionSpec Spec = new() { Kind = AttentionKind.Window, WindowLeft = 9, WindowRight = 5, GlobalPositions = Globals };

    [Theory]
    [InlineData(WireDType.Float32)]
    [InlineData(WireDType.Float16)]
    public async Task Window_global_job_moves_the_derived_bytes(WireDType wire)
    {
        long[] sizes = [90, 120, 90];
        var e = wire == WireDType.Float32 ? 4L : 2L;
        var status = await RunAsync(Spec, sizes, wire);

        // Derived by hand (P = 3, G = 4, one K+V row = bh·(d + dv)·e bytes):
        // halo: shard 0 gets 0 + 5 rows, shard 1 9 + 5, shard 2 9 + 0: 28 rows of K and V.
        var kvRow = BatchHeads * (D + Dv) * e;
        Assert.Equal(28 * kvRow, status.BytesByCollective["halo"]);
        // all-gather: every global reaches the P − 1 = 2 shards that do not own it, as K, V and Q.
        Assert.Equal(2 * 4 * BatchHeads * (D + Dv + D) * e, status.BytesByCollective["allgather"]);
        // reduce-merge: G partial rows (o and lse) up the ring (P − 1 hops) and back (P − 1 hops).
        Assert.Equal(2 * 2 * 4 * BatchHeads * (Dv + 1) * e, status.BytesByCollective["reduce-merge"]);

        // Minimum: the 28 halo rows; foreign globals' K/V not already in a halo: shard 0 needs 205
        // and 250 (92 is in its halo), shard 1 needs 0 and 250, shard 2 needs 0 and 92 (205 is in
        // its halo): 6 rows; each global's Q at, and one partial from, its 2 non-owning shards: 8 rows.
        var minimum = 28 * kvRow + 6 * kvRow + 8 * BatchHeads * D * e + 8 * BatchHeads * (Dv + 1) * e;
        var traffic = WindowTraffic.Of(Spec, ShardLayout.FromSizes(sizes), BatchHeads, D, Dv, (int)e);
        Assert.Equal(minimum, traffic.Minimum);
        Assert.Equal(28 * kvRow, traffic.MinimumHalo);
        AssertMatches(traffic, status);
        Assert.True(traffic.Total > traffic.Minimum);

        // Backup copies, counted apart and not per layer, fp32 whatever the wire: each shard's
        // input (q, k, v) before the layer. The output (o, lse) of the last (here the only) layer is
        // not copied: a loss after the job reruns that layer.
        Assert.Equal(N * BatchHeads * (D + D + Dv) * 4, status.BytesByCollective["backup"]);
    }

    [Fact]
    public async Task Halo_forwarded_through_a_narrow_shard_is_still_the_minimum()
    {
        // Shard 1 holds 30 rows, less than the window (70, 45): shard 2's left halo [60, 130) and
        // shard 0's right halo [100, 145) pass through it. Shard 1 needs those rows itself
        // (its own halo is [30, 100) and [130, 175)), so nothing arrives that is not needed:
        // 45 + (70 + 45) + 70 = 230 rows, exactly the minimum.
        long[] sizes = [100, 30, 170];
        var spec = Spec with { WindowLeft = 70, WindowRight = 45 };
        var status = await RunAsync(spec, sizes, WireDType.Float32);

        var kvRow = BatchHeads * (D + Dv) * 4;
        Assert.Equal(230 * kvRow, status.BytesByCollective["halo"]);
        var traffic = WindowTraffic.Of(spec, ShardLayout.FromSizes(sizes), BatchHeads, D, Dv, 4);
        Assert.Equal(traffic.MinimumHalo, traffic.Halo);
        AssertMatches(traffic, status);
    }

    [Fact]
    public void Causal_minimum_counts_only_visible_globals()
    {
        // Causal window 4: no right halo; a shard's queries see only globals before it, and a
        // global query gets partials only from the shards before its own.
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 4, WindowRight = 4, Causal = true, GlobalPositions = [0, 50, 99] };
        var traffic = WindowTraffic.Of(spec, ShardLayout.FromSizes([40, 30, 30]), 1, 2, 2, 4);
        // halo rows: 0 + 4 + 4; foreign visible globals: shard 1 sees 0, shard 2 sees 0 and 50: 3 rows.
        Assert.Equal(8 * 16, traffic.MinimumHalo);
        Assert.Equal(3 * 16, traffic.MinimumGlobalKeyValues);
        // contributors: global 0 none, global 50 shard 0, global 99 shards 0 and 1: 3 rows of Q and of partials.
        Assert.Equal(3 * 8, traffic.MinimumGlobalQueries);
        Assert.Equal(3 * 12, traffic.MinimumPartials);
        Assert.Equal(8 * 16, traffic.Halo);
    }

    private async Task<JobStatus> RunAsync(AttentionSpec spec, long[] sizes, WireDType wire)
    {
        using var generator = new Generator(17);
        using var q = randn(Batch, Heads, N, D, generator: generator);
        using var k = randn(Batch, Heads, N, D, generator: generator);
        using var v = randn(Batch, Heads, N, Dv, generator: generator);
        using var result = await fixture.Jobs.RunAttentionAsync(spec, q, k, v, new JobOptions(sizes.Length, sizes, wire, ChunkBytes: 4096), null, default);
        await fixture.Cluster.Client.GetGrain<IJobGrain>(result.Plan.JobId).ReleaseAsync();
        Assert.Equal(JobState.Completed, result.Status.State);
        return result.Status;
    }

    private static void AssertMatches(WindowTraffic traffic, JobStatus status)
    {
        Assert.Equal(traffic.Halo, status.BytesByCollective["halo"]);
        Assert.Equal(traffic.AllGather, status.BytesByCollective["allgather"]);
        Assert.Equal(traffic.ReduceMerge, status.BytesByCollective["reduce-merge"]);
        Assert.Equal(traffic.Total, Assert.Single(status.BytesPerLayer));
    }
}
