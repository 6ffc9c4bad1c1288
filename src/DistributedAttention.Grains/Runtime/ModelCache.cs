using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Model;
using TorchSharp;

namespace DistributedAttention.Grains.Runtime;

/// <summary>
/// One <see cref="TransformerModel"/> per (options, weights, device) on a silo, shared by its shard
/// grains through leases. Weights are seeded from the options, so every silo builds bit-identical
/// ones and no weights travel; or every silo reads the same trained checkpoint
/// (<see cref="ModelWeights"/>), checked against its digest and the options. Pretrained decoders
/// the same way, one per (model folder fingerprint, device), each a hold on the process's one copy
/// (<see cref="SharedDecoders"/>): the folder is read once per process, whatever number of shards and embedded silos use it. Inference only reads the weights, so sharing across threads is safe.
/// Bounded: models no shard leases are kept for reuse, at most <see cref="IdleCapacity"/> of them,
/// the least recently used freed first; a leased model is never freed.
/// </summary>
/// <remarks>
/// Disposal first stops the silo's compute threads (<see cref="DeviceSlots.Stop"/>): freeing
/// weights a layer still reads would crash the process in native code. If a thread does not
/// stop in time, the weights are left to the finalizer instead. Return a lease on the device
/// thread that used the model (after its last layer), so an eviction never frees weights a
/// queued layer of that shard still reads.
/// </remarks>
public sealed class ModelCache(DeviceSlots slots) : IDisposable
{
    /// <summary>Models kept while no shard uses them.</summary>
    public const int IdleCapacity = 2;

    private readonly Lock gate = new();
    private readonly Dictionary<(string Model, string Device, string Weights), Entry> models = [];
    private long clock;

    /// <summary>Models held now, leased or idle.</summary>
    public int Count
    {
        get
        {
            lock (gate) return models.Count;
        }
    }

    /// <summary>A lease on the model of <paramref name="options"/> on <paramref name="device"/>, built on first use.</summary>
    /// <param name="options">The model.</param>
    /// <param name="device">Where it runs.</param>
    /// <param name="weights">Trained weights to read; null seeds them from the options.</param>
    /// <exception cref="InvalidDataException">The weights file is missing here, is another file than the job's, or holds another model.</exception>
    public ModelLease<TransformerModel> Acquire(TransformerOptions options, string device, ModelWeights? weights = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Acquire((options.ToJson(), device, weights?.Sha256 ?? ""),
            () => weights is null ? new TransformerModel(options, torch.device(device)) : TrainedWeights.Load(weights, options, device));
    }

    /// <summary>
    /// A lease on the pretrained decoder of <paramref name="model"/> on <paramref name="device"/>: this
    /// silo's hold on the process's one copy (<see cref="SharedDecoders"/>), read on first use.
    /// </summary>
    /// <exception cref="InvalidDataException">The folder is missing here, cannot be read, or is not the job's (another fingerprint).</exception>
    public ModelLease<DecoderHandle> Acquire(PretrainedModel model, string device)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Acquire(("pretrained:" + model.Fingerprint, device, model.ComputeType), () => SharedDecoders.Acquire(model, device));
    }

    private ModelLease<T> Acquire<T>((string, string, string) key, Func<T> build) where T : class, IDisposable
    {
        Entry entry;
        lock (gate)
        {
            if (!models.TryGetValue(key, out entry!))
            {
                entry = new Entry(new Lazy<IDisposable>(() => build()));
                models[key] = entry;
            }
            entry.Leases++;
            entry.LastUsed = ++clock;
        }
        try
        {
            return new ModelLease<T>((T)entry.Model.Value, () => Return(key, entry));
        }
        catch
        {
            // A model that failed to build must not stay cached: the next job may find the file fixed.
            lock (gate)
            {
                if (models.TryGetValue(key, out var cached) && ReferenceEquals(cached, entry) && !entry.Model.IsValueCreated) models.Remove(key);
            }
            Return(key, entry);
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Entry[] all;
        lock (gate)
        {
            all = [.. models.Values];
            models.Clear();
        }
        if (slots.Stop())
        {
            foreach (var entry in all.Where(e => e.Model.IsValueCreated)) entry.Model.Value.Dispose();
        }
    }

    private void Return((string, string, string) key, Entry entry)
    {
        var evicted = new List<Entry>();
        lock (gate)
        {
            entry.Leases--;
            var idle = models.Where(m => m.Value.Leases == 0).OrderBy(m => m.Value.LastUsed).ToList();
            foreach (var (staleKey, stale) in idle.Take(Math.Max(0, idle.Count - IdleCapacity)))
            {
                models.Remove(staleKey);
                evicted.Add(stale);
            }
        }
        // No lease means no shard runs it: nothing computes with these weights now.
        foreach (var stale in evicted.Where(e => e.Model.IsValueCreated)) stale.Model.Value.Dispose();
    }

    private sealed class Entry(Lazy<IDisposable> model)
    {
        public Lazy<IDisposable> Model { get; } = model;

        public int Leases { get; set; }

        public long LastUsed { get; set; }
    }
}

/// <summary>A shard's use of a cached model; dispose it when the shard is done with the model.</summary>
/// <typeparam name="T">The model's type.</typeparam>
public sealed class ModelLease<T> : IDisposable
{
    private Action? release;

    internal ModelLease(T model, Action release) => (Model, this.release) = (model, release);

    /// <summary>The model.</summary>
    public T Model { get; }

    /// <inheritdoc />
    public void Dispose() => Interlocked.Exchange(ref release, null)?.Invoke();
}
