using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Distributed;
using DistributedAttention.Core.Runtime;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Tests;

/// <summary>
/// The distributed algorithm over an in-process ring equals the single-device kernels, for every
/// mechanism, shard counts 1, 2, 3 and 7, uneven shards, windows wider than a shard and global
/// tokens in every shard.
/// </summary>
public sealed class ShardAttentionTests
{
    private const int N = 203;

    public static IEnumerable<object[]> Cases()
    {
        foreach (var (name, _) in Specs())
        {
            foreach (var shards in new[] { 1, 2, 3, 7 }) yield return [name, shards];
        }
    }

    /// <summary>Named specs; globals fall into every shard of the 7-shard layout below.</summary>
    public static IEnumerable<(string Name, AttentionSpec Spec)> Specs()
    {
        long[] globals = [0, 5, 40, 41, 77, 120, 150, 190, 202];
        yield return ("window", new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 9, WindowRight = 5, GlobalPositions = globals });
        yield return ("window-wide", new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 70, WindowRight = 45, GlobalPositions = globals });
        yield return ("window-dilated-causal", new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 12, WindowRight = 4, Dilation = 3, Causal = true, GlobalPositions = globals });
        yield return ("window-unbounded-left", new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = null, WindowRight = 3 });
        yield return ("bigbird", new AttentionSpec { Kind = AttentionKind.BigBird, WindowLeft = 8, WindowRight = 8, BlockSize = 16, RandomBlocks = 2, GlobalPositions = globals });
        yield return ("bigbird-causal", new AttentionSpec { Kind = AttentionKind.BigBird, WindowLeft = 20, WindowRight = 0, Causal = true, BlockSize = 8, RandomBlocks = 3, GlobalPositions = [3, 100] });
        yield return ("full", new AttentionSpec { Kind = AttentionKind.Full });
        yield return ("full-causal", new AttentionSpec { Kind = AttentionKind.Full, Causal = true });
        yield return ("linformer", new AttentionSpec { Kind = AttentionKind.Linformer, ProjectedLength = 24 });
        yield return ("luna", new AttentionSpec { Kind = AttentionKind.Luna, PackedLength = 20 });
        yield return ("routing", new AttentionSpec { Kind = AttentionKind.Routing, Clusters = 5 });
        yield return ("routing-causal", new AttentionSpec { Kind = AttentionKind.Routing, Clusters = 4, Causal = true });
        yield return ("luna-causal", new AttentionSpec { Kind = AttentionKind.Luna, PackedLength = 20, Causal = true });
        yield return ("performer", new AttentionSpec { Kind = AttentionKind.Performer, Features = 32 });
        yield return ("performer-causal", new AttentionSpec { Kind = AttentionKind.Performer, Features = 32, Causal = true });
        yield return ("xl", new AttentionSpec { Kind = AttentionKind.TransformerXl, SegmentLength = 32, MemoryLength = 48 });
        yield return ("compressive", new AttentionSpec { Kind = AttentionKind.Compressive, SegmentLength = 16, MemoryLength = 24, CompressionRate = 4, CompressedLength = 10 });
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Ring_equals_single_device(string mechanism, int shards)
    {
        TorchRuntime.EnsureLoaded();
        var spec = Specs().Single(s => s.Name == mechanism).Spec;
        var (q, k, v) = TensorAssert.RandomQkv(seed: mechanism.Length * 7 + shards, batch: 2, heads: 2, n: N, d: 16);
        using (q)
        using (k)
        using (v)
        {
            using var expected = SingleDeviceAttention.Forward(spec, q, k, v);
            var layout = UnevenLayout(N, shards);
            using var actual = await RunRingAsync(spec, layout, q, k, v);
            TensorAssert.SameResult(expected, actual, atol: 3e-5);
            Assert.Equal(expected.Lse is null, actual.Lse is null);
        }
    }

    [Fact]
    public async Task Halo_bytes_are_the_window_edges_only()
    {
        TorchRuntime.EnsureLoaded();
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 6, WindowRight = 4 };
        var (q, k, v) = TensorAssert.RandomQkv(seed: 3, batch: 1, heads: 2, n: 120, d: 8);
        using (q)
        using (k)
        using (v)
        {
            var layout = ShardLayout.Even(120, 4);
            var ring = new InMemoryRing(layout);
            using var _ = await RunRingAsync(spec, layout, q, k, v, ring);
            // 3 borders × (6 + 4) rows × (k and v) × bh 2 × d 8 × 4 bytes.
            Assert.Equal(3L * 10 * 2 * 2 * 8 * 4, ring.BytesByCollective["halo"]);
            Assert.Single(ring.BytesByCollective);
        }
    }

    /// <summary>Shard sizes that differ by up to 3×, e.g. 203 over 7 = 12, 36, 24, 48, 12, 36, 35.</summary>
    public static ShardLayout UnevenLayout(long n, int shards)
    {
        if (shards == 1) return ShardLayout.Even(n, 1);
        var weights = Enumerable.Range(0, shards).Select(s => 1 + (s * 5 % 4)).ToArray();
        var total = weights.Sum();
        var sizes = weights.Select(w => Math.Max(1, n * w / total)).ToArray();
        sizes[^1] = n - sizes[..^1].Sum();
        return ShardLayout.FromSizes(sizes);
    }

    public static async Task<AttentionResult> RunRingAsync(AttentionSpec spec, ShardLayout layout, Tensor q, Tensor k, Tensor v, InMemoryRing? ring = null)
    {
        ring ??= new InMemoryRing(layout);
        var tasks = Enumerable.Range(0, layout.Count).Select(s => Task.Run(async () =>
        {
            using var qs = q.narrow(2, layout.Start(s), layout.Size(s)).contiguous();
            using var ks = k.narrow(2, layout.Start(s), layout.Size(s)).contiguous();
            using var vs = v.narrow(2, layout.Start(s), layout.Size(s)).contiguous();
            return await ShardAttention.ForwardAsync(spec, qs, ks, vs, ring.Endpoint(s), InlineExecutor.Instance, "t", CancellationToken.None);
        })).ToArray();
        // A shard that throws ends the test with its exception at once (the others would wait for it until the timeout).
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        var pending = tasks.ToList();
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending).WaitAsync(deadline - DateTime.UtcNow);
            await done;
            pending.Remove(done);
        }
        var parts = tasks.Select(t => t.Result).ToArray();
        try
        {
            var o = cat(parts.Select(p => p.Output).ToArray(), 2);
            var lse = parts[0].Lse is null ? null : cat(parts.Select(p => p.Lse!).ToArray(), 2);
            return new AttentionResult(o, lse);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }
}

/// <summary>The causal ring's work assignment covers every visible shard pair once and balances the load.</summary>
public sealed class CausalRingBalanceTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(16)]
    public void Every_pair_once_and_at_most_half_the_blocks_per_shard(int p)
    {
        var covered = new int[p, p];
        var work = new int[p];
        for (var s = 0; s < p; s++)
        {
            for (var t = 1; t <= p / 2; t++)
            {
                if (!ShardCausalRing.Computes(s, t, p)) continue;
                var o = (s - t + p) % p;
                covered[Math.Min(s, o), Math.Max(s, o)]++;
                work[s]++;
            }
        }
        for (var a = 0; a < p; a++)
        {
            for (var b = a + 1; b < p; b++) Assert.Equal(1, covered[a, b]);
        }
        // A plain causal ring gives the last shard p - 1 blocks.
        Assert.All(work, w => Assert.True(w <= p / 2, $"a shard computes {w} blocks of {p - 1}"));
    }
}
