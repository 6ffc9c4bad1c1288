using DistributedAttention.Contracts;

namespace DistributedAttention.Grains.Shards.Backups;

/// <summary>Copies in memory: the fastest, at the cost of up to two layers' inputs per kept owner in RAM.</summary>
internal sealed class MemoryBackupStore : IBackupStore
{
    private readonly Dictionary<(int Owner, int Layer), SortedDictionary<(string Name, long RowStart), TensorChunk>> copies = [];
    private int floor;

    /// <inheritdoc />
    public long Bytes { get; private set; }

    /// <inheritdoc />
    public void Store(int owner, int layer, TensorChunk chunk)
    {
        // A late chunk of a layer every shard has finished (e.g. from an abandoned attempt) is not needed.
        if (layer < floor) return;
        if (!copies.TryGetValue((owner, layer), out var chunks))
        {
            chunks = [];
            copies[(owner, layer)] = chunks;
            foreach (var old in copies.Keys.Where(k => k.Owner == owner && k.Layer < layer - 1).ToArray()) Drop(old);
        }
        if (chunks.Remove((chunk.Name, chunk.RowStart), out var previous)) Bytes -= previous.Data.LongLength;
        chunks[(chunk.Name, chunk.RowStart)] = chunk;
        Bytes += chunk.Data.LongLength;
    }

    /// <inheritdoc />
    public IEnumerable<TensorChunk> Read(int owner, int layer) =>
        copies.TryGetValue((owner, layer), out var chunks)
            ? [.. chunks.Values]
            : throw new InvalidOperationException($"this shard holds no copy of shard {owner}'s input to layer {layer}.");

    /// <inheritdoc />
    public void DropBefore(int layer)
    {
        floor = Math.Max(floor, layer);
        foreach (var old in copies.Keys.Where(k => k.Layer < floor).ToArray()) Drop(old);
    }

    /// <inheritdoc />
    public void Clear()
    {
        copies.Clear();
        Bytes = 0;
    }

    /// <inheritdoc />
    public void Dispose() => Clear();

    private void Drop((int Owner, int Layer) key)
    {
        Bytes -= copies[key].Values.Sum(c => c.Data.LongLength);
        copies.Remove(key);
    }
}
