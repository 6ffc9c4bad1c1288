namespace DistributedAttention.Client;

/// <summary>How <see cref="JobClient"/> talks to the cluster.</summary>
public sealed record JobClientOptions
{
    /// <summary>The defaults.</summary>
    public static JobClientOptions Default { get; } = new();

    /// <summary>How often the job's status is polled while it runs.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Largest token upload per call (int32 ids, 4 bytes each); 1 MiB keeps messages far below Orleans' limit.</summary>
    public int TokenChunkBytes { get; init; } = 1 << 20;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (PollInterval <= TimeSpan.Zero) throw new ArgumentException($"poll interval must be positive (got {PollInterval}).");
        if (TokenChunkBytes < 4) throw new ArgumentException($"token chunk bytes must be >= 4 (one int32 id; got {TokenChunkBytes}).");
    }
}
