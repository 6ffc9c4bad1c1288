namespace DistributedAttention.Abstractions;

/// <summary>How to split and run a job.</summary>
/// <param name="Shards">Number of shards P (ring length).</param>
/// <param name="ShardSizes">Optional explicit shard sizes (must sum to the sequence length); null splits evenly.</param>
/// <param name="Wire">Element type of tensors exchanged between shards.</param>
/// <param name="Replicas">
/// Copies of each shard's layer input kept on the next <c>Replicas</c> shards of the ring (0: none).
/// A job survives the loss of up to this many adjacent shards at once (fewer when the ring is shorter).
/// </param>
/// <param name="ChunkBytes">Largest payload of one message in bytes.</param>
[GenerateSerializer, Immutable, Alias("distattn.JobOptions")]
public sealed record JobOptions(int Shards, long[]? ShardSizes = null, WireDType Wire = WireDType.Float32, int Replicas = 1, int ChunkBytes = 4 << 20)
{
    /// <summary>Largest message payload a job may ask for (well under Orleans' 100 MB default body limit).</summary>
    public const int MaxChunkBytes = 32 << 20;

    /// <summary>Smallest message payload a job may ask for.</summary>
    public const int MinChunkBytes = 1024;

    /// <summary>Most copies a job may keep of each shard's input.</summary>
    public const int MaxReplicas = 8;

    /// <summary>Copies actually kept: <see cref="Replicas"/>, but never more than the other shards of the ring.</summary>
    public int EffectiveReplicas => Math.Max(0, Math.Min(Replicas, Shards - 1));

    /// <summary>Checks the options for a sequence of <paramref name="length"/> positions; every problem is named.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public void Validate(long length)
    {
        if (ShardSizes is { } sizes)
        {
            if (sizes.Length != Shards) throw new ArgumentException($"{sizes.Length} shard sizes were given for {Shards} shards.");
            if (sizes.Any(s => s < 1)) throw new ArgumentException($"every shard needs at least one position; sizes were {string.Join(", ", sizes)}.");
            if (sizes.Sum() != length) throw new ArgumentException($"shard sizes add up to {sizes.Sum()}, but the sequence has {length} positions.");
        }
        if (Shards < 1) throw new ArgumentException($"shards must be >= 1 (got {Shards}).");
        if (Shards > length) throw new ArgumentException($"{Shards} shards for a sequence of {length} positions; every shard needs at least one.");
        if (ChunkBytes < MinChunkBytes || ChunkBytes > MaxChunkBytes)
            throw new ArgumentException($"chunk size must be between 1 KiB and {MaxChunkBytes >> 20} MiB (got {ChunkBytes} bytes).");
        if (!Enum.IsDefined(Wire)) throw new ArgumentException($"unknown wire type {Wire}.");
        if (Replicas is < 0 or > MaxReplicas) throw new ArgumentException($"replicas must be between 0 and {MaxReplicas} (got {Replicas}).");
    }

    /// <summary>Equal when every option is equal (shard sizes element by element).</summary>
    public bool Equals(JobOptions? other) =>
        other is not null && Shards == other.Shards && Wire == other.Wire && Replicas == other.Replicas && ChunkBytes == other.ChunkBytes
        && (ShardSizes ?? []).AsSpan().SequenceEqual(other.ShardSizes ?? []) && (ShardSizes is null) == (other.ShardSizes is null);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Shards, Wire, Replicas, ChunkBytes, ShardSizes?.Length);
}
