using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Testing;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Tests;

public sealed class FullAttentionTests
{
    [Theory]
    [InlineData(1, false, 256, 2048)]
    [InlineData(1, true, 256, 2048)]
    [InlineData(100, false, 7, 13)]     // blocks that do not divide n
    [InlineData(100, true, 7, 13)]
    [InlineData(257, true, 64, 100)]
    [InlineData(300, false, 256, 64)]
    public void Blockwise_equals_dense_reference(int n, bool causal, int queryBlock, int keyChunk)
    {
        var (q, k, v) = TensorAssert.RandomQkv(n, 2, 3, n, 16);
        var spec = new AttentionSpec { Kind = AttentionKind.Full, Causal = causal };
        using var expected = DenseOracle.Forward(spec, q, k, v);
        using var actual = FullAttention.Forward(q, k, v, causal, queryBlock: queryBlock, keyChunk: keyChunk);
        TensorAssert.SameResult(expected, actual);
    }

    [Fact]
    public void Cross_attention_with_other_key_length_and_value_dim()
    {
        var (q, k, v) = TensorAssert.RandomQkv(5, 1, 2, 37, 8, nk: 91, dv: 12);
        using var mask = ones(37, 91, dtype: @bool);
        using var expected = DenseOracle.Attend(q, k, v, mask, 0.3);
        using var actual = FullAttention.Forward(q, k, v, softmaxScale: 0.3, queryBlock: 16, keyChunk: 40);
        TensorAssert.SameResult(expected, actual);
    }

    [Fact]
    public void Output_matches_libtorch_sdpa()
    {
        var (q, k, v) = TensorAssert.RandomQkv(11, 1, 4, 333, 32);
        foreach (var causal in new[] { false, true })
        {
            using var sdpa = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: causal);
            using var ours = FullAttention.Forward(q, k, v, causal, queryBlock: 64, keyChunk: 128);
            TensorAssert.Close(sdpa, ours.Output, what: "output vs SDPA");
        }
    }

    [Fact]
    public void Large_logits_stay_finite()
    {
        // Scores around ±1e3 overflow a naive exp; online softmax must not.
        var (q, k, v) = TensorAssert.RandomQkv(2, 1, 1, 64, 8);
        using var bigQ = q.mul(300);
        var spec = new AttentionSpec { Kind = AttentionKind.Full };
        using var expected = DenseOracle.Forward(spec, bigQ, k, v);
        using var actual = FullAttention.Forward(bigQ, k, v, queryBlock: 8, keyChunk: 9);
        TensorAssert.SameResult(expected, actual, atol: 1e-3);
    }
}
