using System.Collections.Concurrent;
using DistributedAttention.Contracts;
using DistributedAttention.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Runtime;

/// <summary>
/// One <see cref="TransformerModel"/> per (options, device) on a silo, shared by its shard
/// grains. Weights are seeded from the options, so every silo builds bit-identical ones and no
/// weights travel. Inference only reads the weights, so sharing across threads is safe.
/// </summary>
/// <remarks>
/// Disposal first stops the silo's compute threads (<see cref="DeviceSlots.Stop"/>): freeing
/// weights a layer still reads would crash the process in native code. If a thread does not
/// stop in time, the weights are left to the finalizer instead.
/// </remarks>
public sealed class ModelCache(DeviceSlots slots) : IDisposable
{
    private readonly ConcurrentDictionary<(string Json, string Device), Lazy<TransformerModel>> models = new();

    /// <summary>The model of <paramref name="options"/> on <paramref name="device"/>.</summary>
    public TransformerModel Get(TransformerOptions options, string device)
    {
        ArgumentNullException.ThrowIfNull(options);
        var json = options.ToJson();
        return models.GetOrAdd((json, device), key => new Lazy<TransformerModel>(() => new TransformerModel(options, torch.device(key.Device)))).Value;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (slots.Stop())
        {
            foreach (var model in models.Values.Where(m => m.IsValueCreated)) model.Value.Dispose();
        }
        models.Clear();
    }
}
