using DistributedAttention.Abstractions;
using DistributedAttention.Checkpoints;
using DistributedAttention.Model.Pretrained;
using TorchSharp;

namespace DistributedAttention.Grains.Runtime;

/// <summary>
/// Pretrained decoders shared by every silo of a process (an embedded cluster's silos hold one copy
/// of a checkpoint's weights, not one each): one per (folder fingerprint, device), read on first
/// use, freed when the last silo lets go (per compute type: fp32 and bf16 weights are different copies). A silo's <see cref="ModelCache"/> holds a
/// <see cref="DecoderHandle"/> while it keeps the model.
/// </summary>
internal static class SharedDecoders
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<(string Fingerprint, string Device, string Type), Entry> Models = [];

    /// <summary>Models held in this process now.</summary>
    public static int Count
    {
        get
        {
            lock (Gate) return Models.Count;
        }
    }

    /// <summary>Copies of the checkpoint <paramref name="fingerprint"/> this process holds (on any device), and the handles on them.</summary>
    public static (int Copies, int Handles) Of(string fingerprint)
    {
        lock (Gate)
        {
            var entries = Models.Where(m => m.Key.Fingerprint == fingerprint).Select(m => m.Value).ToList();
            return (entries.Count(e => e.Model.IsValueCreated), entries.Sum(e => e.Handles));
        }
    }

    /// <summary>A handle on the decoder of <paramref name="model"/> on <paramref name="device"/>, read (and checked against the job's fingerprint) on first use.</summary>
    /// <exception cref="InvalidDataException">The folder is missing here, cannot be read, or is not the job's.</exception>
    public static DecoderHandle Acquire(PretrainedModel model, string device)
    {
        var key = (model.Fingerprint, device, model.ComputeType);
        Entry entry;
        lock (Gate)
        {
            if (!Models.TryGetValue(key, out entry!)) Models[key] = entry = new Entry(new Lazy<DecoderModel>(() => Load(model, device)));
            entry.Handles++;
        }
        try
        {
            return new DecoderHandle(entry.Model.Value, () => Release(key, entry));
        }
        catch
        {
            Release(key, entry);
            throw;
        }
    }

    private static DecoderModel Load(PretrainedModel model, string device)
    {
        var folder = ModelFolder.Open(model.Directory);
        if (folder.Fingerprint != model.Fingerprint)
            throw new InvalidDataException($"{model.Directory}: this silo's copy of the model folder is not the job's (fingerprint {folder.Fingerprint[..12]}…, the job's {model.Fingerprint[..12]}…).");
        return DecoderModel.Load(folder, torch.device(device), model.ComputeType == PretrainedModel.BFloat16 ? torch.ScalarType.BFloat16 : torch.ScalarType.Float32);
    }

    private static void Release((string, string, string) key, Entry entry)
    {
        lock (Gate)
        {
            if (--entry.Handles > 0) return;
            if (Models.TryGetValue(key, out var current) && ReferenceEquals(current, entry)) Models.Remove(key);
        }
        // No handle: no silo of this process computes with these weights.
        if (entry.Model.IsValueCreated) entry.Model.Value.Dispose();
    }

    private sealed class Entry(Lazy<DecoderModel> model)
    {
        public Lazy<DecoderModel> Model { get; } = model;

        public int Handles { get; set; }
    }
}

/// <summary>A silo's hold on a shared decoder; disposing it lets go.</summary>
public sealed class DecoderHandle : IDisposable
{
    private Action? release;

    internal DecoderHandle(DecoderModel model, Action release) => (Model, this.release) = (model, release);

    /// <summary>The decoder.</summary>
    public DecoderModel Model { get; }

    /// <inheritdoc />
    public void Dispose() => Interlocked.Exchange(ref release, null)?.Invoke();
}
