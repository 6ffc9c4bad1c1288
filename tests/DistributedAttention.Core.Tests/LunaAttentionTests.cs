using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Testing;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Tests;

/// <summary>Luna's blockwise pack and unpack against the dense formula, its packed queries, and its refusals.</summary>
public sealed class LunaAttentionTests
{
    [Theory]
    [InlineData(1, 1, 8, 8, false)]
    [InlineData(5, 16, 8, 8, false)]        // more packed rows than tokens
    [InlineData(130, 7, 16, 12, false)]     // value dim differs from key dim
    [InlineData(9000, 32, 8, 8, false)]     // the pack runs over several key chunks
    [InlineData(1, 1, 8, 8, true)]
    [InlineData(31, 4, 8, 8, true)]         // one position short of a block
    [InlineData(97, 16, 16, 12, true)]      // several blocks and a partial one
    public void Luna_equals_the_dense_formula(int n, int packed, int d, int dv, bool causal)
    {
        var spec = new AttentionSpec { Kind = AttentionKind.Luna, PackedLength = packed, Seed = 21, Causal = causal };
        var (q, k, v) = TensorAssert.RandomQkv(n + packed, 2, 2, n, d, dv: dv);
        using var expected = DenseOracle.Luna(spec, q, k, v);
        using var actual = SingleDeviceAttention.Forward(spec, q, k, v);
        TensorAssert.SameResult(expected, actual, atol: 2e-5);
    }

    [Fact]
    public void The_softmax_scale_applies_to_the_unpack()
    {
        var spec = new AttentionSpec { Kind = AttentionKind.Luna, PackedLength = 6, SoftmaxScale = 0.9 };
        var (q, k, v) = TensorAssert.RandomQkv(4, 1, 2, 40, 8);
        using var expected = DenseOracle.Luna(spec, q, k, v);
        using var actual = SingleDeviceAttention.Forward(spec, q, k, v);
        TensorAssert.SameResult(expected, actual, atol: 2e-5);
        using var unscaled = SingleDeviceAttention.Forward(spec with { SoftmaxScale = null }, q, k, v);
        Assert.False(unscaled.Output.allclose(actual.Output, rtol: 1e-3, atol: 1e-4));
    }

    [Fact]
    public void Every_query_sees_every_key_through_the_pack()
    {
        // The last key moves every row of the output, the first row included: the pack is global.
        var spec = new AttentionSpec { Kind = AttentionKind.Luna, PackedLength = 8 };
        var (q, k, v) = TensorAssert.RandomQkv(5, 1, 1, 50, 8);
        using var before = SingleDeviceAttention.Forward(spec, q, k, v);
        using var v2 = v.clone();
        v2.narrow(2, 49, 1).add_(3.0);
        using var after = SingleDeviceAttention.Forward(spec, q, k, v2);
        using var changed = before.Output.sub(after.Output).abs().amax([3]).gt(1e-6);
        Assert.True(changed.all().item<bool>(), "a value at the end must reach every query.");
    }

    [Fact]
    public void Causal_luna_lets_no_query_see_a_later_key()
    {
        // A change at position 30 leaves rows 0..29 exactly as they were and moves every row from 30 on.
        var spec = new AttentionSpec { Kind = AttentionKind.Luna, PackedLength = 8, Causal = true };
        var (q, k, v) = TensorAssert.RandomQkv(6, 1, 1, 70, 8);
        using var before = SingleDeviceAttention.Forward(spec, q, k, v);
        using var k2 = k.clone();
        k2.narrow(2, 30, 1).add_(2.0);
        using var after = SingleDeviceAttention.Forward(spec, q, k2, v);
        using var moved = before.Output.sub(after.Output).abs().amax([3]).squeeze();
        Assert.True(moved.narrow(0, 0, 30).eq(0).all().item<bool>(), "rows before the change must not move.");
        Assert.True(moved.narrow(0, 30, 40).gt(1e-7).all().item<bool>(), "rows from the change on must move.");
    }

    [Fact]
    public void Packs_over_disjoint_keys_merge_into_the_pack_over_their_union()
    {
        var spec = new AttentionSpec { Kind = AttentionKind.Luna, PackedLength = 12 };
        var (_, k, v) = TensorAssert.RandomQkv(8, 1, 2, 3000, 8);
        using var kf = k.reshape(2, 3000, 8);
        using var vf = v.reshape(2, 3000, 8);
        using var whole = LunaAttention.Pack(spec, kf, vf, 0);
        using var left = LunaAttention.Pack(spec, kf.narrow(1, 0, 1234), vf.narrow(1, 0, 1234), 0);
        using var right = LunaAttention.Pack(spec, kf.narrow(1, 1234, 1766), vf.narrow(1, 1234, 1766), 1234);
        using var merged = PartialMerge.Merge(left, right);
        TensorAssert.SameResult(whole, merged, atol: 1e-5);
    }

    [Fact]
    public void Packed_queries_are_seeded_and_the_same_on_every_call()
    {
        using var a = LunaPackedQueries.Of(3, 16, 32);
        using var b = LunaPackedQueries.Of(3, 16, 32);
        using var other = LunaPackedQueries.Of(4, 16, 32);
        Assert.Equal([16L, 32L], a.shape);
        Assert.True(a.eq(b).all().item<bool>());
        Assert.False(a.eq(other).all().item<bool>());
    }

    [Fact]
    public void Luna_refuses_an_empty_packed_sequence()
    {
        var spec = new AttentionSpec { Kind = AttentionKind.Luna, PackedLength = 0 };
        var error = Assert.Throws<ArgumentException>(spec.Validate);
        Assert.Contains("Luna packed length must be >= 1 (got 0)", error.Message);
    }
}
