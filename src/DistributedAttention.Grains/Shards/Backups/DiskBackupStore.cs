using DistributedAttention.Contracts;

namespace DistributedAttention.Grains.Shards.Backups;

/// <summary>
/// Copies spilled to local disk: one file per (owner, layer) under a folder of this shard, data
/// appended as it arrives and only an index (name, rows, shape, offset) kept in memory. Memory
/// stays small whatever the copies weigh; each copy costs a local disk write, and a restore reads it
/// back. Files are deleted when their layer is dropped and when the store is disposed.
/// </summary>
internal sealed class DiskBackupStore : IBackupStore
{
    private readonly string folder;
    private readonly Dictionary<(int Owner, int Layer), Copy> copies = [];
    private int floor;

    /// <summary>A store under <paramref name="folder"/> (created; any old content is removed).</summary>
    public DiskBackupStore(string folder)
    {
        this.folder = folder;
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
    }

    /// <inheritdoc />
    public long Bytes => copies.Values.Sum(c => c.Bytes);

    /// <inheritdoc />
    public void Store(int owner, int layer, TensorChunk chunk)
    {
        // A late chunk of a layer every shard has finished (e.g. from an abandoned attempt) is not needed.
        if (layer < floor) return;
        if (!copies.TryGetValue((owner, layer), out var copy))
        {
            copy = new Copy(Path.Combine(folder, $"{owner}-{layer}.bin"));
            copies[(owner, layer)] = copy;
            foreach (var old in copies.Keys.Where(k => k.Owner == owner && k.Layer < layer - 1).ToArray()) Drop(old);
        }
        copy.Append(chunk);
    }

    /// <inheritdoc />
    public IEnumerable<TensorChunk> Read(int owner, int layer) =>
        copies.TryGetValue((owner, layer), out var copy)
            ? copy.Read()
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
        foreach (var key in copies.Keys.ToArray()) Drop(key);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Clear();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover empty folder costs nothing.
        }
    }

    private void Drop((int Owner, int Layer) key)
    {
        copies[key].Dispose();
        copies.Remove(key);
    }

    /// <summary>One owner's input to one layer: a file of chunk payloads and their index.</summary>
    private sealed class Copy(string path) : IDisposable
    {
        private readonly FileStream file = new(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        private readonly SortedDictionary<(string Name, long RowStart), Entry> index = [];

        public long Bytes => index.Values.Sum(e => e.Length);

        public void Append(TensorChunk chunk)
        {
            // A retried layer sends the same rows again: the newest copy wins (the old bytes stay in the file until it is dropped).
            var offset = file.Seek(0, SeekOrigin.End);
            file.Write(chunk.Data);
            file.Flush();
            index[(chunk.Name, chunk.RowStart)] = new Entry(chunk with { Data = [] }, offset, chunk.Data.Length);
        }

        public IEnumerable<TensorChunk> Read()
        {
            foreach (var entry in index.Values.ToArray())
            {
                var data = new byte[entry.Length];
                file.Seek(entry.Offset, SeekOrigin.Begin);
                file.ReadExactly(data);
                yield return entry.Header with { Data = data };
            }
        }

        public void Dispose()
        {
            file.Dispose();
            File.Delete(path);
        }

        private sealed record Entry(TensorChunk Header, long Offset, int Length);
    }
}
