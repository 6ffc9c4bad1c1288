using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Model.Tests;

public sealed class RotaryEmbeddingTests
{
    [Theory]
    [InlineData(0L)]
    [InlineData(1_000_000L)]
    public void Any_slice_rotated_at_its_own_start_position_equals_the_slice_of_the_whole(long offset)
    {
        var rope = new RotaryEmbedding(16);
        using var x = Tensors.Randn(1, 2, 3, 200, 16);
        using var whole = rope.Apply(x, offset);
        foreach (var (start, length) in new[] { (0L, 7L), (7L, 64L), (71L, 128L), (199L, 1L) })
        {
            using var slice = x.narrow(2, start, length);
            using var part = rope.Apply(slice, offset + start);
            using var expected = whole.narrow(2, start, length);
            Tensors.AssertBitEqual(expected, part, $"slice [{start}, {start + length})");
        }
    }

    [Fact]
    public void Matches_the_per_element_formula_with_half_split_pairs()
    {
        const int d = 8;
        const long start = 123_456;
        var rope = new RotaryEmbedding(d, 500);
        using var x = Tensors.Randn(2, 1, 2, 5, d);
        using var y = rope.Apply(x, start);
        var xs = Tensors.Values(x);
        var ys = Tensors.Values(y);
        for (var row = 0; row < 2 * 5; row++)
        {
            var position = start + row % 5;
            for (var i = 0; i < d / 2; i++)
            {
                var angle = position * Math.Pow(500, -2.0 * i / d);
                double a = xs[row * d + i], b = xs[row * d + i + d / 2];
                Assert.Equal(a * Math.Cos(angle) - b * Math.Sin(angle), ys[row * d + i], 1e-5);
                Assert.Equal(b * Math.Cos(angle) + a * Math.Sin(angle), ys[row * d + i + d / 2], 1e-5);
            }
        }
    }

    [Fact]
    public void Query_key_scores_depend_only_on_the_distance_between_positions()
    {
        var rope = new RotaryEmbedding(32);
        using var q = Tensors.Randn(3, 1, 1, 1, 32);
        using var k = Tensors.Randn(4, 1, 1, 1, 32);
        double Score(long qp, long kp)
        {
            using var scope = NewDisposeScope();
            return rope.Apply(q, qp).mul(rope.Apply(k, kp)).sum().item<float>();
        }
        Assert.Equal(Score(10, 3), Score(5010, 5003), 4);
        Assert.Equal(Score(0, 40), Score(777, 817), 4);
        Assert.NotEqual(Score(10, 3), Score(10, 4), 4);
    }

    [Fact]
    public void Rejects_odd_head_dims_and_mismatched_inputs()
    {
        Assert.Contains("even", Assert.Throws<ArgumentException>(() => new RotaryEmbedding(7)).Message);
        var rope = new RotaryEmbedding(8);
        using var wrong = zeros(1, 1, 4, 6);
        Assert.Contains("(batch, heads, n, 8)", Assert.Throws<ArgumentException>(() => rope.Apply(wrong, 0)).Message);
    }
}
