using Microsoft.Extensions.Options;

namespace DistributedAttention.Grains.Shards.Backups;

/// <summary>Makes the backup store of one shard grain, as the silo's <see cref="ShardBackupOptions"/> say (a silo singleton).</summary>
public sealed class BackupStores(IOptions<ShardBackupOptions> options)
{
    /// <summary>The options in force.</summary>
    public ShardBackupOptions Options => options.Value;

    internal IBackupStore Create(string shardKey)
    {
        var settings = options.Value;
        if (settings.Storage == BackupStorage.Memory) return new MemoryBackupStore();
        // One folder per shard grain; the key's '/' separates job and shard.
        var safe = string.Concat(shardKey.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(shardKey)))[..12];
        return new DiskBackupStore(Path.Combine(settings.EffectiveDirectory, $"{safe}-{hash}"));
    }
}
