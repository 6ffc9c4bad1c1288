namespace DistributedAttention.Silo;

/// <summary>Where silos keep job records (the coordinator's persisted state).</summary>
public enum JobStoreKind
{
    /// <summary>
    /// In this process, shared by every silo of the process with the same service and cluster id:
    /// for the embedded cluster, where any silo may be lost and the process holds them all.
    /// </summary>
    InProcess = 0,

    /// <summary>
    /// Orleans' in-memory grain storage, spread over the silos: for development clusters of silo
    /// processes without Redis. A job survives its coordinator's loss only if the silo holding
    /// its record survives too.
    /// </summary>
    Memory = 1,

    /// <summary>Redis (<see cref="DistributedAttentionSiloOptions.RedisConnectionString"/>): survives any silo; for real clusters.</summary>
    Redis = 2,
}
