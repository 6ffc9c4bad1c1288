using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Testing;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Tests;

/// <summary>
/// The oracle computes its masks in its own code. These tests tie its one shared definition
/// (BigBird's seeded blocks) to production's, check production's window predicate against it,
/// and show that a comparison with the oracle does fail when a mask is wrong.
/// </summary>
public sealed class OracleIndependenceTests
{
    [Fact]
    public void Oracle_splitmix64_gives_the_published_sequence()
    {
        // SplitMix64 seeded with 0 outputs 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F
        // (state k·γ before the k-th output's increment).
        const ulong gamma = 0x9E3779B97F4A7C15UL;
        Assert.Equal(0xE220A8397B1DCDAFUL, OracleSplitMix64.Next(0));
        Assert.Equal(0x6E789E6AA1B965F4UL, OracleSplitMix64.Next(gamma));
        Assert.Equal(0x06C45D188009454FUL, OracleSplitMix64.Next(unchecked(2 * gamma)));
        // The counter-based hash of the contract, value from a separate Python implementation.
        Assert.Equal(0x2F6EAE72B186CBBCUL, OracleSplitMix64.Hash(0x5EED, 3, 1));
    }

    [Fact]
    public void Oracle_bigbird_blocks_match_known_values()
    {
        // From a separate Python implementation of the definition: seed 0x5EED, 10 key blocks, r = 3.
        int[][] open = [[1, 5, 9], [3, 5, 7], [0, 3, 6], [0, 2, 6], [7, 8, 9], [3, 5, 9], [4, 6, 9], [1, 8, 9], [0, 5, 9], [5, 8, 9]];
        int[][] causal = [[0], [0, 1], [0, 1, 2], [0, 1, 2], [0, 2, 3], [0, 3, 5], [3, 4, 5], [1, 4, 6], [2, 3, 5], [5, 8, 9]];
        for (var qb = 0; qb < 10; qb++)
        {
            Assert.Equal(open[qb], OracleBigBirdBlocks.Of(0x5EED, qb, 10, 3, causal: false));
            Assert.Equal(causal[qb], OracleBigBirdBlocks.Of(0x5EED, qb, 10, 3, causal: true));
        }
    }

    [Fact]
    public void Oracle_bigbird_blocks_equal_production_blocks()
    {
        ulong[] seeds = [0, 1, 7, 0x5EED, 0xDEADBEEFUL, ulong.MaxValue];
        var compared = 0;
        foreach (var seed in seeds)
        {
            foreach (var keyBlocks in new[] { 1, 2, 3, 5, 8, 13, 40, 257 })
            {
                foreach (var r in new[] { 0, 1, 2, 3, 7, 40, 300 })
                {
                    foreach (var causal in new[] { false, true })
                    {
                        for (var qb = 0; qb < Math.Min(keyBlocks, 60); qb++)
                        {
                            var oracle = OracleBigBirdBlocks.Of(seed, qb, keyBlocks, r, causal);
                            var production = BigBirdPattern.RandomKeyBlocks(seed, qb, keyBlocks, r, causal);
                            Assert.True(oracle.SequenceEqual(production),
                                $"seed {seed} qb {qb} blocks {keyBlocks} r {r} causal {causal}: oracle [{string.Join(",", oracle)}] production [{string.Join(",", production)}]");
                            compared++;
                        }
                    }
                }
            }
        }
        Assert.True(compared > 5000);
    }

    [Fact]
    public void Production_window_predicate_equals_the_oracle_window()
    {
        var random = new Random(2024);
        for (var trial = 0; trial < 60; trial++)
        {
            var n = random.Next(1, 90);
            var spec = new AttentionSpec
            {
                Kind = AttentionKind.Window,
                WindowLeft = random.Next(4) == 0 ? null : random.Next(0, 12),
                WindowRight = random.Next(4) == 0 ? null : random.Next(0, 12),
                Dilation = random.Next(1, 5),
                Causal = random.Next(2) == 0,
            };
            using var scope = NewDisposeScope();
            var i = arange(n, dtype: int64).unsqueeze(1);
            var j = arange(n, dtype: int64).unsqueeze(0);
            var production = WindowAttention.InWindow(spec, i, j).data<bool>().ToArray();
            for (var qi = 0; qi < n; qi++)
            {
                for (var kj = 0; kj < n; kj++)
                {
                    var expected = OracleMasks.WindowSees(spec, qi, kj) && (!spec.Causal || kj <= qi);
                    Assert.True(expected == production[qi * n + kj], $"{spec}: query {qi} key {kj}: oracle {expected}, production {!expected}");
                }
            }
        }
    }

    /// <summary>A spec and a deliberately wrong variant of it (off by one, wrong seed, a global lost, …).</summary>
    public static TheoryData<string, AttentionSpec, AttentionSpec> Mutations => new()
    {
        { "window left off by one", Window(), Window() with { WindowLeft = 5 } },
        { "window right off by one", Window(), Window() with { WindowRight = 2 } },
        { "dilation ignored", Window() with { Dilation = 2 }, Window() },
        { "causality ignored", Window() with { Causal = true }, Window() },
        { "a global token lost", Window() with { GlobalPositions = [0, 40] }, Window() with { GlobalPositions = [0] } },
        { "BigBird seed", BigBird(), BigBird() with { Seed = 0x5EEE } },
        { "BigBird one random block fewer", BigBird(), BigBird() with { RandomBlocks = 1 } },
        { "XL memory off by one", Xl(), Xl() with { MemoryLength = 7 } },
        { "XL segment off by one", Xl(), Xl() with { SegmentLength = 13 } },
        { "full attention causal", new AttentionSpec { Kind = AttentionKind.Full, Causal = true }, new AttentionSpec { Kind = AttentionKind.Full } },
    };

    [Theory]
    [MemberData(nameof(Mutations))]
    public void A_wrong_mask_fails_the_comparison(string what, AttentionSpec spec, AttentionSpec wrong)
    {
        const int n = 96;
        var (q, k, v) = TensorAssert.RandomQkv(31, 1, 2, n, 16);
        using var actual = SingleDeviceAttention.Forward(spec, q, k, v);
        using var right = DenseOracle.Forward(spec, q, k, v);
        using var mutated = DenseOracle.Forward(wrong, q, k, v);

        TensorAssert.SameResult(right, actual);
        var gap = (mutated.Output - actual.Output).abs().max().item<float>();
        Assert.True(gap > 0.05f, $"{what}: the wrong oracle differs from production by only {gap}");
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => TensorAssert.SameResult(mutated, actual));
        q.Dispose(); k.Dispose(); v.Dispose();
    }

    private static AttentionSpec Window() => new() { Kind = AttentionKind.Window, WindowLeft = 4, WindowRight = 3 };

    private static AttentionSpec BigBird() => new()
    {
        Kind = AttentionKind.BigBird, WindowLeft = 2, WindowRight = 2, BlockSize = 8, RandomBlocks = 2, Seed = 0x5EED,
    };

    private static AttentionSpec Xl() => new() { Kind = AttentionKind.TransformerXl, SegmentLength = 12, MemoryLength = 8 };
}
