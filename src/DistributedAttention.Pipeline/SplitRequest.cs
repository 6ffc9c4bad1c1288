using DistributedAttention.Abstractions;

namespace DistributedAttention.Pipeline;

/// <summary>
/// How a user asks a job to be split and moved (flags or query parameters of the same names:
/// shards, wire, chunk-mb, replicas, no-recovery), turned into checked <see cref="JobOptions"/>.
/// </summary>
public sealed record SplitRequest
{
    /// <summary>Shards; null for one per silo.</summary>
    public int? Shards { get; init; }

    /// <summary>Element type exchanged between shards: fp32, fp16, bf16.</summary>
    public string Wire { get; init; } = "fp32";

    /// <summary>Largest message payload in MiB.</summary>
    public int ChunkMegabytes { get; init; } = 4;

    /// <summary>Copies of each shard's layer input kept on the next shards.</summary>
    public int Replicas { get; init; } = 1;

    /// <summary>No copies at all (replicas 0).</summary>
    public bool NoRecovery { get; init; }

    /// <summary>The checked options for a cluster of <paramref name="silos"/> silos.</summary>
    /// <param name="silos">Silos in the cluster (the default shard count).</param>
    /// <param name="prefix">How option names are written in messages ("--" on the command line).</param>
    /// <exception cref="ArgumentException">A value is out of range; the message names the option.</exception>
    public JobOptions Build(int silos, string prefix = "--")
    {
        var shards = Shards ?? Math.Max(silos, 1);
        if (shards < 1) throw new ArgumentException($"{prefix}shards must be >= 1 (got {shards}).");
        if (ChunkMegabytes is < 1 or > 32) throw new ArgumentException($"{prefix}chunk-mb must be between 1 and 32 (got {ChunkMegabytes}); Orleans messages must stay well below their 128 MiB limit.");
        if (Replicas is < 0 or > JobOptions.MaxReplicas) throw new ArgumentException($"{prefix}replicas must be between 0 and {JobOptions.MaxReplicas} (got {Replicas}).");
        return new JobOptions(shards, Wire: ValueParsers.Wire(Wire, prefix + "wire"), Replicas: NoRecovery ? 0 : Replicas, ChunkBytes: ChunkMegabytes << 20);
    }

    /// <summary>Checks a client-chosen job id.</summary>
    /// <exception cref="ArgumentException">It is empty, too long, or holds spaces or control characters.</exception>
    public static string CheckJobId(string id, string prefix = "--")
    {
        ArgumentNullException.ThrowIfNull(id);
        if (string.IsNullOrWhiteSpace(id) || id.Length > 200 || id.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c == '/'))
            throw new ArgumentException($"{prefix}job-id '{id}' must be 1-200 characters without spaces, slashes or control characters.");
        return id;
    }
}
