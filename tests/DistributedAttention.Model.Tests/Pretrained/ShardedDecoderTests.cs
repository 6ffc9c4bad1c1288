using DistributedAttention.Checkpoints;
using DistributedAttention.Core.Distributed;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Model.Pretrained;
using static TorchSharp.torch;

namespace DistributedAttention.Model.Tests.Pretrained;

/// <summary>A checkpoint run shard by shard over an in-process ring equals it on one device.</summary>
[Collection(TinyCheckpointCollection.Name)]
public sealed class ShardedDecoderTests(TinyCheckpoints checkpoints)
{
    public static TheoryData<string, int> Cases
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var name in TinyCheckpoints.Specs.Keys)
            {
                foreach (var shards in new[] { 1, 2, 3, 7 }) data.Add(name, shards);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Shards_equal_one_device(string name, int shards)
    {
        var folder = ModelFolder.Open(await checkpoints.FolderAsync(name));
        using var model = DecoderModel.Load(folder);
        using var ids = tensor(TinyCheckpoints.Ids, [1, TinyCheckpoints.Tokens]);
        using var expected = model.Forward(ids);

        // Uneven shards: 5, 23, 14, 32, ... rows, the last one taking the rest.
        var sizes = Enumerable.Range(0, shards).Select(s => (long)(5 + 9 * ((s * 3) % 4))).ToArray();
        sizes[^1] = TinyCheckpoints.Tokens - sizes[..^1].Sum();
        var layout = ShardLayout.FromSizes(sizes);
        var ring = new InMemoryRing(layout);
        var outputs = await Task.WhenAll(Enumerable.Range(0, shards).Select(s => Task.Run(async () =>
        {
            using var local = ids.narrow(1, layout.Start(s), layout.Size(s));
            var x = model.Embed(local);
            for (var l = 0; l < model.Layers.Count; l++)
            {
                var next = await ShardedDecoder.LayerAsync(model.Layers[l], x, ring.Endpoint(s), InlineExecutor.Instance, $"L{l}", default);
                x.Dispose();
                x = next;
            }
            using (x) return model.FinalNorm(x);
        })));
        using var actual = cat(outputs, 1);
        foreach (var o in outputs) o.Dispose();
        DecoderReferenceTests.AssertClose(expected, actual, 1e-5, $"{name} on {shards} shards");
    }
}
