using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Testing;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Tests;

public sealed class WindowAttentionTests
{
    public static TheoryData<int, int?, int?, int, bool, long[]> Edges => new()
    {
        // n, left, right, dilation, causal, globals
        { 1, 4, 4, 1, false, [] },
        { 1, 4, 4, 1, true, [0] },
        { 5, 16, 16, 1, false, [] },           // n smaller than the window
        { 65, 3, 9, 1, false, [] },            // asymmetric, block size does not divide n
        { 130, 9, 3, 1, true, [] },
        { 97, 4, 2, 3, false, [] },            // dilation > 1
        { 150, 5, 5, 4, true, [0, 149] },      // dilation with causal and globals at the ends
        { 200, 8, 8, 1, false, [0, 63, 64, 199] },
        { 200, 8, 0, 1, true, [0, 17, 199] },
        { 70, null, 2, 1, false, [5] },        // unbounded left
        { 70, 0, 0, 1, false, [] },            // diagonal only
        { 129, null, null, 2, false, [] },     // dilation without a window bound
    };

    [Theory]
    [MemberData(nameof(Edges))]
    public void Window_equals_dense_reference_on_edges(int n, int? left, int? right, int dilation, bool causal, long[] globals)
    {
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = left, WindowRight = right, Dilation = dilation, Causal = causal, GlobalPositions = globals };
        CheckAgainstDense(spec, n, seed: n * 31 + dilation);
    }

    [Fact]
    public void Window_equals_dense_reference_on_random_shapes()
    {
        var random = new Random(1234);
        for (var trial = 0; trial < 25; trial++)
        {
            var n = random.Next(1, 300);
            var globals = Enumerable.Range(0, random.Next(0, 4)).Select(_ => (long)random.Next(0, n)).ToArray();
            var spec = new AttentionSpec
            {
                Kind = AttentionKind.Window,
                WindowLeft = random.Next(0, 80),
                WindowRight = random.Next(0, 80),
                Dilation = random.Next(1, 4),
                Causal = random.Next(2) == 0,
                GlobalPositions = globals,
                SoftmaxScale = random.Next(2) == 0 ? null : 0.05 + random.NextDouble(),
            };
            CheckAgainstDense(spec, n, seed: trial, batch: random.Next(1, 3), heads: random.Next(1, 4), d: 8 * random.Next(1, 5));
        }
    }

    [Theory]
    [InlineData(8, 8, 1, false)]
    [InlineData(20, 0, 1, true)]
    [InlineData(6, 3, 2, false)]
    public void Window_equals_dense_reference_across_many_groups_of_query_blocks(int left, int right, int dilation, bool causal)
    {
        // 16 heads over 1,531 rows: the band kernel takes a few blocks per op, so edge groups at
        // both ends, interior groups sharing one mask and a last partial block all occur.
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = left, WindowRight = right, Dilation = dilation, Causal = causal, GlobalPositions = [0, 700] };
        CheckAgainstDense(spec, 1531, seed: left * 7 + right, batch: 2, heads: 8, d: 8);
    }

    [Theory]
    [InlineData(9, 2, -5)]
    [InlineData(2, 9, 4)]
    public void A_lone_global_next_to_a_block_boundary_is_counted_once_by_the_rows_across_it(int left, int right, int offset)
    {
        // Many heads make the band kernel's groups of query blocks short; a lone global token a few
        // rows before (or after) a block boundary lies in the window of the rows across it, which
        // already see it as a band key. Every boundary below 400 is tried, so group edges are hit.
        for (var boundary = 32; boundary < 390; boundary += 32)
        {
            var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = left, WindowRight = right, GlobalPositions = [boundary + offset] };
            try { CheckAgainstDense(spec, 400, seed: boundary, batch: 1, heads: 64, d: 2); }
            catch (Exception e) { throw new InvalidOperationException($"global at {boundary + offset}", e); }
        }
    }

    [Fact]
    public void BigBird_equals_dense_reference()
    {
        var random = new Random(99);
        for (var trial = 0; trial < 12; trial++)
        {
            var n = random.Next(1, 400);
            var spec = new AttentionSpec
            {
                Kind = AttentionKind.BigBird,
                WindowLeft = random.Next(0, 40),
                WindowRight = random.Next(0, 40),
                Causal = trial % 3 == 0,
                Dilation = trial % 4 == 1 ? 2 : 1,
                BlockSize = random.Next(1, 40),
                RandomBlocks = random.Next(0, 5),
                Seed = (ulong)trial,
                GlobalPositions = trial % 2 == 0 ? [0, n - 1] : [],
            };
            try { CheckAgainstDense(spec, n, seed: 500 + trial, heads: 2); } catch (Exception e) { throw new InvalidOperationException($"trial {trial}: {spec} n={n}", e); }
        }
    }

    [Fact]
    public void BigBird_random_blocks_change_the_result()
    {
        var spec = new AttentionSpec { Kind = AttentionKind.BigBird, WindowLeft = 4, WindowRight = 4, BlockSize = 8, RandomBlocks = 2 };
        var (q, k, v) = TensorAssert.RandomQkv(3, 1, 1, 128, 16);
        using var bigBird = SingleDeviceAttention.Forward(spec, q, k, v);
        using var window = SingleDeviceAttention.Forward(spec with { Kind = AttentionKind.Window }, q, k, v);
        Assert.True((bigBird.Output - window.Output).abs().max().item<float>() > 1e-3);
    }

    [Fact]
    public void Rejects_bad_input_with_a_clear_message()
    {
        var (q, k, v) = TensorAssert.RandomQkv(1, 1, 1, 8, 4);
        var bad = Assert.Throws<ArgumentException>(() => SingleDeviceAttention.Forward(new AttentionSpec { Dilation = 0 }, q, k, v));
        Assert.Contains("dilation", bad.Message);
        var shape = Assert.Throws<ArgumentException>(() => SingleDeviceAttention.Forward(new AttentionSpec(), q, k.narrow(3, 0, 2), v));
        Assert.Contains("head dim", shape.Message);
        var rank = Assert.Throws<ArgumentException>(() => SingleDeviceAttention.Forward(new AttentionSpec(), q[0], k, v));
        Assert.Contains("4-D", rank.Message);
    }

    internal static void CheckAgainstDense(AttentionSpec spec, int n, long seed, long batch = 1, long heads = 2, long d = 16)
    {
        var (q, k, v) = TensorAssert.RandomQkv(seed, batch, heads, n, d);
        using var expected = DenseOracle.Forward(spec, q, k, v);
        using var actual = SingleDeviceAttention.Forward(spec, q, k, v);
        TensorAssert.SameResult(expected, actual);
        q.Dispose(); k.Dispose(); v.Dispose();
    }
}
