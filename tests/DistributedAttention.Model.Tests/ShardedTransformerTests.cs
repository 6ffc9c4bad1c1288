using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Distributed;
using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Model.Tests;

/// <summary>The model run shard by shard over an in-process ring equals the whole-sequence forward.</summary>
public sealed class ShardedTransformerTests
{
    private static readonly AttentionSpec[] EveryMechanism =
    [
        new() { Kind = AttentionKind.Window, WindowLeft = 20, WindowRight = 9, GlobalPositions = [0, 33, 90] },
        new() { Kind = AttentionKind.BigBird, WindowLeft = 3, WindowRight = 3, BlockSize = 8, RandomBlocks = 2, GlobalPositions = [5], Seed = 99 },
        new() { Kind = AttentionKind.Full, Causal = true },
        new() { Kind = AttentionKind.TransformerXl, SegmentLength = 16, MemoryLength = 8 },
        new() { Kind = AttentionKind.Compressive, SegmentLength = 8, MemoryLength = 8, CompressionRate = 4, CompressedLength = 3 },
        new() { Kind = AttentionKind.Linformer, ProjectedLength = 16 },
        new() { Kind = AttentionKind.Luna, PackedLength = 12 },
        new() { Kind = AttentionKind.Luna, PackedLength = 6, Causal = true },
        new() { Kind = AttentionKind.Routing, Clusters = 3, Causal = true },
        new() { Kind = AttentionKind.Performer, Features = 16, Causal = true },
        new() { Kind = AttentionKind.Window, WindowLeft = 6, WindowRight = 0, Dilation = 2, Causal = true, GlobalPositions = [50] },
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task Sharded_model_equals_whole_sequence_forward(int shards)
    {
        const long n = 150;
        using var model = new TransformerModel(TestModels.Options(seed: 7, layers: EveryMechanism.Length, specs: EveryMechanism));
        using var generator = new Generator(11, CPU);
        using var tokens = randint(0, 97, [1, n], dtype: int64, generator: generator);
        using var expected = model.forward(tokens);

        var sizes = Enumerable.Range(0, shards).Select(s => (long)(5 + 9 * ((s * 3) % 4))).ToArray();
        sizes[^1] = n - sizes[..^1].Sum();
        var layout = ShardLayout.FromSizes(sizes);
        var ring = new InMemoryRing(layout);
        var outputs = await Task.WhenAll(Enumerable.Range(0, shards).Select(s => Task.Run(async () =>
        {
            var executor = InlineExecutor.Instance;
            using var local = tokens.narrow(1, layout.Start(s), layout.Size(s));
            var x = await ShardedTransformer.EmbedAsync(model, local, executor, default);
            for (var l = 0; l < model.Layers.Count; l++)
            {
                var next = await ShardedTransformer.LayerAsync(model.Layers[l], x, ring.Endpoint(s), executor, $"L{l}", default);
                x.Dispose();
                x = next;
            }
            using (x) return await ShardedTransformer.FinalNormAsync(model, x, executor, default);
        })));
        using var actual = cat(outputs, 1);
        foreach (var o in outputs) o.Dispose();
        var diff = (actual - expected).abs().max().item<float>();
        var scale = expected.abs().max().item<float>();
        Assert.True(diff <= 1e-4 * Math.Max(1, scale), $"max |diff| {diff:E3} over {shards} shards");
    }
}
