using DistributedAttention.Core.Attention;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Tests;

public sealed class HeldRowsTests
{
    [Fact]
    public void Every_slice_equals_the_same_rows_of_the_pieces_joined()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(5);
        // An empty piece in the middle and at the end, as a shard at the sequence's edge has no halo there.
        Tensor[] pieces = [randn(3, 4, 2, generator: generator), randn(3, 0, 2), randn(3, 7, 2, generator: generator), randn(3, 1, 2, generator: generator), randn(3, 0, 2)];
        var joined = cat(pieces, 1);
        var held = new HeldRows(pieces);
        Assert.Equal(12, held.Length);
        for (long from = 0; from <= held.Length; from++)
        {
            for (long length = 0; from + length <= held.Length; length++)
            {
                Assert.True(Same(joined.narrow(1, from, length), held.Slice(from, length)), $"rows {from}..{from + length}");
            }
        }
        Assert.True(Same(joined, held.Whole()));
    }

    [Fact]
    public void A_slice_inside_one_piece_is_a_view_of_it()
    {
        using var scope = NewDisposeScope();
        var own = zeros(1, 12, 2);
        var held = new HeldRows(zeros(1, 3, 2), own, zeros(1, 3, 2));
        // Held rows 5..8 are the own piece's rows 2..5: writing through the slice writes there.
        held.Slice(5, 4).fill_(1);
        Assert.Equal(8, own.sum().item<float>());
        Assert.Equal(4, own.narrow(1, 2, 4).select(2, 0).sum().item<float>());
    }

    [Fact]
    public void A_slice_outside_the_held_rows_is_refused()
    {
        using var scope = NewDisposeScope();
        var held = new HeldRows(zeros(1, 3, 2), zeros(1, 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => held.Slice(4, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => held.Slice(-1, 1));
    }

    [Theory]
    [InlineData(128, 128, 128, 128, 0)]
    [InlineData(128, 128, 128, 128, 5)]
    [InlineData(128, 128, 70, 90, 0)]
    [InlineData(5, 9, 40, 3, 2)]
    [InlineData(0, 31, 100, 0, 3)]
    [InlineData(200, 0, 0, 150, 4)]
    public void The_band_over_pieces_equals_the_band_over_the_pieces_joined(long left, long right, long haloLeft, long haloRight, int globalCount)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(11);
        // Enough rows for several groups of query blocks, so interior groups read across the pieces too.
        const long rows = 5000, bh = 3, d = 8;
        var q = randn(bh, rows, d, generator: generator);
        var kl = randn(bh, haloLeft, d, generator: generator);
        var kf = randn(bh, rows, d, generator: generator);
        var kr = randn(bh, haloRight, d, generator: generator);
        var vl = randn(bh, haloLeft, d, generator: generator);
        var vf = randn(bh, rows, d, generator: generator);
        var vr = randn(bh, haloRight, d, generator: generator);
        // The shard's rows start at 500; global tokens anywhere, in the shard or outside it.
        const long start = 500;
        var positions = Enumerable.Range(0, globalCount).Select(i => 37L + i * 1301).ToArray();
        var globals = globalCount == 0 ? null : new BlockBandAttention.GlobalKeys(positions, randn(bh, globalCount, d, generator: generator), randn(bh, globalCount, d, generator: generator), Causal: false);

        var joined = BlockBandAttention.Forward(q, start, cat([kl, kf, kr], 1), cat([vl, vf, vr], 1), start - haloLeft, left, right, globals);
        var pieces = BlockBandAttention.Forward(q, start, new HeldRows(kl, kf, kr), new HeldRows(vl, vf, vr), start - haloLeft, left, right, globals);
        Assert.True(Same(joined.Output, pieces.Output), "output");
        Assert.True(Same(joined.Lse!, pieces.Lse!), "lse");
    }

    private static bool Same(Tensor expected, Tensor actual) => expected.shape.SequenceEqual(actual.shape) && expected.eq(actual).all().item<bool>();
}
