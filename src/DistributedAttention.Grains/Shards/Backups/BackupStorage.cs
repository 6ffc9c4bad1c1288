namespace DistributedAttention.Grains.Shards.Backups;

/// <summary>Where a silo's shards keep the copies of their neighbours' layer inputs.</summary>
public enum BackupStorage
{
    /// <summary>In memory (default): fastest; the copies weigh as much as the shards' own inputs.</summary>
    Memory = 0,

    /// <summary>Spilled to local disk: little memory; each copy costs a disk write, and a restore a read.</summary>
    Disk = 1,
}
