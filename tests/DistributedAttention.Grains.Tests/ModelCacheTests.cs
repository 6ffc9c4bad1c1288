using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Grains.Runtime;
using DistributedAttention.Model;
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
        var model = cache.Acquire(options, "cpu").Model;
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

    [Fact]
    public void Idle_models_beyond_the_capacity_are_freed_least_recently_used_first_and_leased_ones_never()
    {
        TorchRuntime.EnsureLoaded();
        using var slots = new DeviceSlots(["cpu"]);
        using var cache = new ModelCache(slots);
        TransformerOptions Options(ulong seed) => new()
        {
            VocabSize = 50, ModelDim = 16, Heads = 2, Layers = 1, FeedForwardDim = 32, Seed = seed,
            LayerAttention = [new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 4, WindowRight = 4 }],
        };

        var leases = Enumerable.Range(1, 4).Select(seed => cache.Acquire(Options((ulong)seed), "cpu")).ToArray();
        using (var again = cache.Acquire(Options(1), "cpu")) Assert.Same(leases[0].Model, again.Model);
        Assert.Equal(4, cache.Count);

        // Four leased models stay however many there are; returned, only the two used last are kept
        // (model 1 was used again after model 4 was built).
        foreach (var lease in leases) lease.Dispose();
        Assert.Equal(ModelCache.IdleCapacity, cache.Count);
        using var reused = cache.Acquire(Options(4), "cpu");
        Assert.Same(leases[3].Model, reused.Model);
        using var rebuilt = cache.Acquire(Options(2), "cpu");
        Assert.NotSame(leases[1].Model, rebuilt.Model);
        // Returning a lease twice counts once.
        leases[0].Dispose();
        Assert.Equal(3, cache.Count);
    }

    [Fact]
    public void Trained_weights_are_read_checked_against_their_digest_and_a_failed_read_is_not_cached()
    {
        TorchRuntime.EnsureLoaded();
        using var slots = new DeviceSlots(["cpu"]);
        using var cache = new ModelCache(slots);
        var options = new TransformerOptions
        {
            VocabSize = 50, ModelDim = 16, Heads = 2, Layers = 1, FeedForwardDim = 32, Seed = 3,
            LayerAttention = [new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 4, WindowRight = 0, Causal = true }],
        };
        var dir = Directory.CreateTempSubdirectory("distattn-weights-");
        try
        {
            var path = Path.Combine(dir.FullName, "model.safetensors");
            using (var trained = new TransformerModel(options))
            {
                using (no_grad()) trained.TiedHeadWeight.mul_(2);
                trained.Save(path);
            }
            var weights = ModelWeights.Of(path);

            var missing = weights with { Path = Path.Combine(dir.FullName, "elsewhere.safetensors") };
            Assert.Contains("is not on silo host", Assert.Throws<InvalidDataException>(() => cache.Acquire(options, "cpu", missing)).Message, StringComparison.Ordinal);
            var other = weights with { Sha256 = new string('0', 64) };
            Assert.Contains("another file is at that path", Assert.Throws<InvalidDataException>(() => cache.Acquire(options, "cpu", other)).Message, StringComparison.Ordinal);
            Assert.Contains("holds another model", Assert.Throws<InvalidDataException>(() => cache.Acquire(options with { Seed = 4 }, "cpu", weights)).Message, StringComparison.Ordinal);
            Assert.Equal(0, cache.Count);

            using var lease = cache.Acquire(options, "cpu", weights);
            using var seeded = cache.Acquire(options, "cpu");
            Assert.NotSame(seeded.Model, lease.Model);
            using var doubled = seeded.Model.TiedHeadWeight.mul(2);
            Assert.True(lease.Model.TiedHeadWeight.equal(doubled).all().item<bool>(), "the cache built seeded weights, not the file's");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
