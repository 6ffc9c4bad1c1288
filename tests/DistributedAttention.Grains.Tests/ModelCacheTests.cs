using DistributedAttention.Contracts;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Grains.Runtime;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Tests;

/// <summary>
/// A silo that is killed disposes its model cache while a layer may still compute with the
/// weights on the device's thread. Freeing them under it crashed the test host in native code;
/// the cache now stops the compute threads first, so the layer finishes on valid weights.
/// </summary>
public sealed class ModelCacheTests
{
    [Fact]
    public async Task Disposing_the_cache_lets_the_running_layer_finish_on_its_weights_first()
    {
        TorchRuntime.EnsureLoaded();
        var slots = new DeviceSlots(["cpu"]);
        var cache = new ModelCache(slots);
        var options = new TransformerOptions
        {
            VocabSize = 100, ModelDim = 64, Heads = 4, Layers = 1, FeedForwardDim = 256,
            LayerAttention = [new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 16, WindowRight = 16 }],
        };
        var model = cache.Get(options, "cpu");
        using var started = new ManualResetEventSlim();
        var layer = slots.For(0).RunAsync(() =>
        {
            started.Set();
            // Long enough that the disposal below starts while this still reads the weights.
            var checksum = 0.0;
            for (var i = 0; i < 30; i++)
            {
                using var scope = NewDisposeScope();
                using var ids = arange(2048, dtype: ScalarType.Int64).remainder(100).unsqueeze(0);
                checksum += model.Embed(ids).sum().item<float>();
            }
            return checksum;
        });
        started.Wait();

        cache.Dispose();

        Assert.True(layer.IsCompletedSuccessfully, "the cache was freed before the layer using it finished.");
        Assert.True(double.IsFinite(await layer));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => slots.For(0).RunAsync(() => 1));
        slots.Dispose();
    }
}
