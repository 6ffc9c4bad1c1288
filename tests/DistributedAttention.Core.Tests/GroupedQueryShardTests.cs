using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Distributed;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Testing;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Tests;

/// <summary>
/// Grouped-query attention (fewer key/value heads than query heads) and logit soft-capping, as the
/// pretrained families use them: equal to the dense oracle on repeated keys and values, on one
/// device and across shards, with K/V crossing the ring at the kv heads.
/// </summary>
public sealed class GroupedQueryShardTests
{
    private const int N = 157;
    private const int Heads = 6;
    private const int KvHeads = 2;

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var name in Specs.Keys)
        {
            foreach (var shards in new[] { 1, 2, 3, 7 }) data.Add(name, shards);
        }
        return data;
    }

    private static readonly Dictionary<string, AttentionSpec> Specs = new()
    {
        ["sliding"] = new() { Kind = AttentionKind.Window, WindowLeft = 9, WindowRight = 0, Causal = true },
        ["sliding-wider-than-a-shard"] = new() { Kind = AttentionKind.Window, WindowLeft = 60, WindowRight = 0, Causal = true, LogitSoftCap = 1.5 },
        ["full-causal-capped"] = new() { Kind = AttentionKind.Full, Causal = true, LogitSoftCap = 0.7 },
        ["full"] = new() { Kind = AttentionKind.Full },
        ["window-with-globals"] = new() { Kind = AttentionKind.Window, WindowLeft = 5, WindowRight = 5, GlobalPositions = [0, 80] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Grouped_keys_across_shards_equal_the_dense_oracle(string name, int shards)
    {
        var spec = Specs[name];
        // No dispose scope here: it would be held across the awaits below (and leak to whatever runs next on this thread).
        using var generator = new Generator(5, CPU);
        // Large scores, so a soft-cap changes them.
        using var q = randn([1, Heads, N, 8], generator: generator).mul_(3);
        using var k = randn([1, KvHeads, N, 8], generator: generator);
        using var v = randn([1, KvHeads, N, 8], generator: generator);
        using var kr = k.repeat_interleave(Heads / KvHeads, 1);
        using var vr = v.repeat_interleave(Heads / KvHeads, 1);
        using var expected = DenseOracle.Forward(spec, q, kr, vr);
        using (var one = SingleDeviceAttention.Forward(spec, q, k, v)) TensorAssert.Close(expected.Output, one.Output, what: $"{name} on one device");

        var sizes = Enumerable.Range(0, shards).Select(s => (long)(7 + 11 * ((s * 5) % 3))).ToArray();
        sizes[^1] = N - sizes[..^1].Sum();
        var layout = ShardLayout.FromSizes(sizes);
        var grouped = await RunAsync(spec, layout, q, k, v);
        using var groupedOutput = grouped.Output;
        TensorAssert.Close(expected.Output, groupedOutput, what: $"{name} on {shards} shards");

        if (shards > 1)
        {
            // K/V travel at the kv heads where the mechanism allows it: a third of the bytes of repeated ones for a window's halos.
            var repeated = await RunAsync(spec, layout, q, kr, vr);
            repeated.Output.Dispose();
            if (spec is { Kind: AttentionKind.Window, GlobalPositions.Count: 0 }) Assert.Equal(repeated.Bytes, grouped.Bytes * (Heads / KvHeads));
            else if (spec.Kind == AttentionKind.Full) Assert.True(grouped.Bytes < repeated.Bytes, $"{grouped.Bytes} bytes grouped, {repeated.Bytes} repeated");
            else Assert.Equal(repeated.Bytes, grouped.Bytes);
        }
    }

    [Fact]
    public void Soft_cap_is_refused_where_it_cannot_be_exact()
    {
        var e = Assert.Throws<ArgumentException>(() => new AttentionSpec { Kind = AttentionKind.Linformer, LogitSoftCap = 30 }.Validate());
        Assert.Contains("logit soft-capping applies to full and window attention", e.Message);
        Assert.Throws<ArgumentException>(() => new AttentionSpec { Kind = AttentionKind.Window, LogitSoftCap = 30, GlobalPositions = [1] }.Validate());
        Assert.Throws<ArgumentException>(() => new AttentionSpec { Kind = AttentionKind.Full, LogitSoftCap = -1 }.Validate());
    }

    private static async Task<(Tensor Output, long Bytes)> RunAsync(AttentionSpec spec, ShardLayout layout, Tensor q, Tensor k, Tensor v)
    {
        var ring = new InMemoryRing(layout);
        var parts = await Task.WhenAll(Enumerable.Range(0, layout.Count).Select(s => Task.Run(async () =>
        {
            var (start, size) = (layout.Start(s), layout.Size(s));
            using var result = await ShardAttention.ForwardAsync(spec, q.narrow(2, start, size), k.narrow(2, start, size), v.narrow(2, start, size),
                ring.Endpoint(s), InlineExecutor.Instance, "L0", default);
            return result.Output.detach().clone();
        })));
        var output = cat(parts, 2);
        foreach (var p in parts) p.Dispose();
        return (output, ring.BytesByCollective.Values.Sum());
    }
}
