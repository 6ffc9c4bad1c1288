namespace DistributedAttention.Grains.Shards.Backups;

/// <summary>How this silo's shards keep their copies of neighbours' layer inputs.</summary>
public sealed class ShardBackupOptions
{
    /// <summary>Memory (default) or local disk.</summary>
    public BackupStorage Storage { get; set; } = BackupStorage.Memory;

    /// <summary>Folder for <see cref="BackupStorage.Disk"/>; default: a folder under the system's temporary directory.</summary>
    public string? Directory { get; set; }

    /// <summary>The folder disk copies go to.</summary>
    public string EffectiveDirectory => Directory ?? Path.Combine(Path.GetTempPath(), "distattn-backups", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
