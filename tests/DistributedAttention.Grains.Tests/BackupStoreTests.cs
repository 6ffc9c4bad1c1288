using DistributedAttention.Contracts;
using DistributedAttention.Grains.Shards.Backups;

namespace DistributedAttention.Grains.Tests;

/// <summary>What both kinds of backup store keep once a layer starts.</summary>
public sealed class BackupStoreTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "distattn-backup-store-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    [Theory]
    [InlineData(BackupStorage.Memory)]
    [InlineData(BackupStorage.Disk)]
    public void Starting_a_layer_drops_every_owners_older_copies_and_refuses_late_chunks_of_them(BackupStorage storage)
    {
        using IBackupStore store = storage == BackupStorage.Memory ? new MemoryBackupStore() : new DiskBackupStore(folder);
        static TensorChunk Block(long row, byte value) => new("0", 1, row, [1, 2, 3], ElementType.Float32, Enumerable.Repeat(value, 24).ToArray());
        foreach (var owner in new[] { 4, 5 })
        {
            store.Store(owner, layer: 1, Block(100, 1));
            store.Store(owner, layer: 2, Block(100, 2));
        }
        Assert.Equal(96, store.Bytes);

        store.DropBefore(2);
        Assert.Equal(48, store.Bytes);
        foreach (var owner in new[] { 4, 5 })
        {
            Assert.Throws<InvalidOperationException>(() => store.Read(owner, 1).ToList());
            Assert.Equal([(byte)2], store.Read(owner, 2).Select(c => c.Data[0]));
        }

        // A late chunk of a finished layer (an abandoned attempt's) is not kept, and the floor never goes back.
        store.Store(4, 1, Block(100, 7));
        store.DropBefore(1);
        store.Store(5, 1, Block(100, 8));
        Assert.Throws<InvalidOperationException>(() => store.Read(4, 1).ToList());
        Assert.Throws<InvalidOperationException>(() => store.Read(5, 1).ToList());
        Assert.Equal(48, store.Bytes);

        // The current layer's copies still take new blocks.
        store.Store(4, 2, Block(102, 3));
        Assert.Equal([(100L, (byte)2), (102L, (byte)3)], store.Read(4, 2).Select(c => (c.RowStart, c.Data[0])));
    }
}
