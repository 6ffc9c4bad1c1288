using DistributedAttention.Abstractions;

namespace DistributedAttention.Grains.Shards;

/// <summary>
/// Copies of a ring neighbour's layer inputs, kept as the chunks that arrived, so a shard lost
/// with its silo can be reloaded from here. Only the newest two layers per owner are kept: a
/// retry never goes further back.
/// </summary>
internal sealed class ShardBackups
{
    private readonly Dictionary<(int Owner, int Layer), SortedDictionary<(string Name, long RowStart), TensorChunk>> copies = [];

    public long Bytes { get; private set; }

    public void Store(int owner, int layer, TensorChunk chunk)
    {
        if (!copies.TryGetValue((owner, layer), out var chunks))
        {
            chunks = [];
            copies[(owner, layer)] = chunks;
            foreach (var old in copies.Keys.Where(k => k.Owner == owner && k.Layer < layer - 1).ToArray()) Drop(old);
        }
        // A retried layer sends the same rows again: the newest copy wins.
        if (chunks.Remove((chunk.Name, chunk.RowStart), out var previous)) Bytes -= previous.Data.LongLength;
        chunks[(chunk.Name, chunk.RowStart)] = chunk;
        Bytes += chunk.Data.LongLength;
    }

    public IReadOnlyCollection<TensorChunk> Get(int owner, int layer) =>
        copies.TryGetValue((owner, layer), out var chunks)
            ? chunks.Values
            : throw new InvalidOperationException($"this shard holds no copy of shard {owner}'s input to layer {layer}.");

    public void Clear()
    {
        copies.Clear();
        Bytes = 0;
    }

    private void Drop((int Owner, int Layer) key)
    {
        Bytes -= copies[key].Values.Sum(c => c.Data.LongLength);
        copies.Remove(key);
    }
}
