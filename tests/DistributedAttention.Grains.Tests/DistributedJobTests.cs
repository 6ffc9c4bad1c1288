using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Model;
using DistributedAttention.Testing;
using DistributedAttention.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Tests;

/// <summary>
/// Whole jobs on three silos over TCP: every mechanism over 1, 2, 3 and 7 uneven shards equals
/// the single-device core result, for attention on tensors and for the model on text.
/// </summary>
public sealed class DistributedJobTests(JobCluster fixture) : IClassFixture<JobCluster>
{
    private const int N = 203;
    private static readonly long[] Globals = [0, 5, 40, 41, 77, 120, 150, 190, 202];

    public static readonly Dictionary<string, AttentionSpec> Specs = new()
    {
        ["window"] = new() { Kind = AttentionKind.Window, WindowLeft = 9, WindowRight = 5, GlobalPositions = Globals },
        ["window-wider-than-shards"] = new() { Kind = AttentionKind.Window, WindowLeft = 70, WindowRight = 45, GlobalPositions = Globals },
        ["window-dilated-causal"] = new() { Kind = AttentionKind.Window, WindowLeft = 12, WindowRight = 4, Dilation = 3, Causal = true, GlobalPositions = Globals },
        ["bigbird"] = new() { Kind = AttentionKind.BigBird, WindowLeft = 8, WindowRight = 8, BlockSize = 16, RandomBlocks = 2, GlobalPositions = Globals },
        ["full"] = new() { Kind = AttentionKind.Full },
        ["full-causal"] = new() { Kind = AttentionKind.Full, Causal = true },
        ["linformer"] = new() { Kind = AttentionKind.Linformer, ProjectedLength = 24 },
        ["luna"] = new() { Kind = AttentionKind.Luna, PackedLength = 20 },
        ["routing"] = new() { Kind = AttentionKind.Routing, Clusters = 5 },
        ["routing-causal"] = new() { Kind = AttentionKind.Routing, Clusters = 4, Causal = true },
        ["luna-causal"] = new() { Kind = AttentionKind.Luna, PackedLength = 20, Causal = true },
        ["performer"] = new() { Kind = AttentionKind.Performer, Features = 32 },
        ["performer-causal"] = new() { Kind = AttentionKind.Performer, Features = 32, Causal = true },
        ["xl"] = new() { Kind = AttentionKind.TransformerXl, SegmentLength = 32, MemoryLength = 48 },
        ["compressive"] = new() { Kind = AttentionKind.Compressive, SegmentLength = 16, MemoryLength = 24, CompressionRate = 4, CompressedLength = 10 },
    };

    public static IEnumerable<object[]> Cases() =>
        from name in Specs.Keys from shards in new[] { 1, 2, 3, 7 } select new object[] { name, shards };

    [Fact]
    public void Every_registered_mechanism_runs_here_on_the_cluster()
    {
        var covered = Specs.Values.Select(s => s.Kind).ToHashSet();
        Assert.All(MechanismRegistry.All, m => Assert.True(covered.Contains(m.Kind), $"no cluster case runs {m.Name}: add one to Specs."));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Attention_job_equals_single_device(string mechanism, int shards)
    {
        var spec = Specs[mechanism];
        using var generator = new Generator((ulong)(mechanism.Length * 31 + shards));
        using var q = randn(2, 2, N, 16, generator: generator);
        using var k = randn(2, 2, N, 16, generator: generator);
        using var v = randn(2, 2, N, 8, generator: generator);
        using var expected = SingleDeviceAttention.Forward(spec, q, k, v);

        var options = new JobOptions(shards, UnevenSizes(N, shards), ChunkBytes: 4096);
        using var actual = await fixture.Jobs.RunAttentionAsync(spec, q, k, v, options, null, default);

        AssertClose(expected.Output, actual.Output, $"{mechanism} over {shards} shards: o");
        Assert.Equal(expected.Lse is null, actual.Lse is null);
        if (expected.Lse is not null) AssertClose(expected.Lse, actual.Lse!, $"{mechanism} over {shards} shards: lse");
        Assert.Equal(JobState.Completed, actual.Status.State);
        // Shards sit on the silos in ring order, one per silo before any silo gets a second.
        var silos = actual.Status.Shards.Select(s => s.Silo).ToArray();
        Assert.Equal(Math.Min(shards, 3), silos.Distinct().Count());
        for (var s = 1; s < shards; s++) Assert.NotEqual(silos[s - 1], silos[s]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task Model_job_on_text_equals_single_device(int shards)
    {
        var text = string.Join(" ", Enumerable.Range(1, 40).Select(i => $"Chapter {i}. It was the best of times, it was the worst of times; number {i * 7}."));
        var ids = BookTokenizer.Gpt2.Encode(text).Ids.ToArray();
        var options = MixedModel();
        using var model = new TransformerModel(options);
        using var tokens = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Length]);
        using var expected = model.forward(tokens);

        var sink = new InMemoryHiddenStates();
        var result = await fixture.Jobs.RunModelAsync(options, ids, new JobOptions(shards, UnevenSizes(ids.Length, shards)), sink, null, default);

        using var actual = tensor(sink.Data, [1, ids.Length, options.ModelDim]);
        AssertClose(expected, actual, $"model over {shards} shards");
        Assert.Equal(options.Layers, result.Status.Layers);
        Assert.All(result.Status.Shards, s => Assert.Equal(options.Layers, s.LayersDone));
        if (shards > 1) Assert.True(result.Status.BytesByCollective["halo"] > 0, "no halo traffic was counted.");
    }

    /// <summary>A model whose layers use every mechanism family, the vocabulary of GPT-2.</summary>
    public static TransformerOptions MixedModel() => new()
    {
        VocabSize = 50257,
        ModelDim = 32,
        Heads = 4,
        Layers = 5,
        FeedForwardDim = 64,
        Seed = 3,
        LayerAttention =
        [
            new() { Kind = AttentionKind.Window, WindowLeft = 24, WindowRight = 24, GlobalPositions = [0, 100] },
            new() { Kind = AttentionKind.BigBird, WindowLeft = 4, WindowRight = 4, BlockSize = 8, RandomBlocks = 2, GlobalPositions = [7] },
            new() { Kind = AttentionKind.TransformerXl, SegmentLength = 32, MemoryLength = 32 },
            new() { Kind = AttentionKind.Performer, Features = 16, Causal = true },
            new() { Kind = AttentionKind.Full, Causal = true },
        ],
    };

    /// <summary>Sizes that differ by up to 4×.</summary>
    public static long[] UnevenSizes(long n, int shards)
    {
        if (shards == 1) return [n];
        var weights = Enumerable.Range(0, shards).Select(s => 1 + (s * 5 % 4)).ToArray();
        var sizes = weights.Select(w => Math.Max(1, n * w / weights.Sum())).ToArray();
        sizes[^1] = n - sizes[..^1].Sum();
        return sizes;
    }

    internal static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        var e = expected.to(float64);
        var a = actual.to(float64);
        var bothInf = e.isinf().logical_and(a.eq(e));
        var diff = (a - e).abs().masked_fill(bothInf, 0);
        Assert.False(a.isnan().any().item<bool>(), $"{what}: NaN");
        var bound = e.abs().masked_fill(e.isinf(), 0).mul(1e-4).add(3e-5);
        Assert.True(diff.sub(bound).max().item<double>() <= 0, $"{what}: max |diff| {diff.max().item<double>():E3}");
    }
}
