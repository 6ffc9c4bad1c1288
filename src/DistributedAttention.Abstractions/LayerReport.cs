namespace DistributedAttention.Abstractions;

/// <summary>What one shard did in one layer (layer −1: preparing).</summary>
/// <param name="Shard">Shard index.</param>
/// <param name="Layer">Layer index.</param>
/// <param name="Silo">Silo it ran on.</param>
/// <param name="Seconds">Wall seconds of the layer on this shard.</param>
/// <param name="BytesSent">Bytes this shard sent, by collective ("halo", "allgather", "backup"…).</param>
/// <param name="WaitSeconds">Seconds the shard waited for its peers' data to start arriving (the slowest shard waits least).</param>
/// <param name="TransferSeconds">Seconds the shard spent moving data to and from its peers.</param>
/// <param name="PeakMemoryBytes">Peak resident memory of the silo's process so far (0: unknown).</param>
[GenerateSerializer, Immutable, Alias("distattn.LayerReport")]
public sealed record LayerReport(
    int Shard, int Layer, string Silo, double Seconds, Dictionary<string, long> BytesSent, double WaitSeconds = 0, double TransferSeconds = 0, long PeakMemoryBytes = 0);
