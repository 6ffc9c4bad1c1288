using DistributedAttention.Contracts;
using DistributedAttention.Model;

namespace DistributedAttention.Model.Tests;

public sealed class LayerFlopsTests
{
    [Theory]
    [InlineData(1, 4, 4, 1, false)]
    [InlineData(50, 3, 9, 1, false)]
    [InlineData(97, 4, 2, 3, false)]
    [InlineData(130, 9, 3, 1, true)]
    [InlineData(64, 0, 0, 1, false)]
    [InlineData(200, 100, 100, 1, false)]
    public void Window_pairs_are_the_pairs_a_brute_force_count_of_the_window_rule_finds(int n, int left, int right, int dilation, bool causal)
    {
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = left, WindowRight = right, Dilation = dilation, Causal = causal };
        long expected = 0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var offset = j - i;
                var visible = offset >= -left * dilation && offset <= (causal ? 0 : right * dilation) && offset % dilation == 0;
                if (visible) expected++;
            }
        }
        Assert.Equal(expected, LayerFlops.AttentionPairs(spec, n));
    }

    [Fact]
    public void Full_attention_counts_every_pair_or_the_causal_half_and_a_layer_adds_its_matmuls()
    {
        Assert.Equal(100.0 * 100, LayerFlops.AttentionPairs(new AttentionSpec { Kind = AttentionKind.Full }, 100));
        Assert.Equal(100.0 * 101 / 2, LayerFlops.AttentionPairs(new AttentionSpec { Kind = AttentionKind.Full, Causal = true }, 100));
        var spec = new AttentionSpec { Kind = AttentionKind.Full };
        var model = new TransformerOptions { VocabSize = 10, ModelDim = 8, Heads = 2, Layers = 1, FeedForwardDim = 32, LayerAttention = [spec] };
        // q, k, v, o: 4 · 2·d² per token; FFN: 2 · 2·d·F per token; attention: 2·d per pair for the scores and 2·d for the values.
        Assert.Equal(10 * (8.0 * 64 + 4.0 * 8 * 32) + 4.0 * 8 * 100, LayerFlops.Of(model, 0, 10));
    }

    [Fact]
    public void Global_tokens_add_a_row_and_a_column_each()
    {
        var plain = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 2, WindowRight = 2 };
        var withGlobals = plain with { GlobalPositions = [0, 500] };
        Assert.Equal(LayerFlops.AttentionPairs(plain, 1000) + 2.0 * 2 * 1000, LayerFlops.AttentionPairs(withGlobals, 1000));
    }
}
