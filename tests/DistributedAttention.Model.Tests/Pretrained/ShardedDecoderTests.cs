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
    public Task Shards_equal_one_device(string name, int shards) => CompareAsync(name, shards, ScalarType.Float32, 1e-5);

    /// <summary>
    /// bf16 matmuls across shards: the attention's float32 sums in another order can round a
    /// matmul input to the neighbouring bf16 value, so the bound is bf16's, not float32's.
    /// </summary>
    [Theory]
    [InlineData("gemma2-softcaps", 3)]
    [InlineData("llama3-gqa-sharded", 7)]
    public Task Bf16_shards_equal_bf16_on_one_device_within_bf16_rounding(string name, int shards) => CompareAsync(name, shards, ScalarType.BFloat16, Bf16ShardBound);

    /// <summary>Relative to max(1, max |expected|); PretrainedVerification checks bf16 jobs with it.</summary>
    internal const double Bf16ShardBound = 1e-3;

    private async Task CompareAsync(string name, int shards, ScalarType dtype, double tolerance)
    {
        var folder = ModelFolder.Open(await checkpoints.FolderAsync(name));
        using var model = DecoderModel.Load(folder, dtype: dtype);
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
        DecoderReferenceTests.AssertClose(expected, actual, tolerance, $"{name} on {shards} shards, {dtype}");
    }
}
