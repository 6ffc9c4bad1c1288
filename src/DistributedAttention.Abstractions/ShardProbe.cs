namespace DistributedAttention.Abstractions;

/// <summary>What a shard holds now, as the coordinator probes it.</summary>
/// <param name="Joined">It knows its job (false: never joined, or lost with its silo and reactivated empty).</param>
/// <param name="InputsComplete">Every input row has arrived (before the job starts).</param>
/// <param name="Missing">What input is missing, when some is.</param>
/// <param name="Layers">Layers whose input it holds (the layer count: its output).</param>
/// <param name="Placement">Where it runs.</param>
[GenerateSerializer, Immutable, Alias("distattn.ShardProbe")]
public sealed record ShardProbe(bool Joined, bool InputsComplete, string? Missing, int[] Layers, ShardPlacement Placement)
{
    /// <summary>Whether it holds its input to <paramref name="layer"/>.</summary>
    public bool Holds(int layer) => Joined && Layers.Contains(layer);
}
