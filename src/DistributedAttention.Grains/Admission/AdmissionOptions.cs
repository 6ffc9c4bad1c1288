namespace DistributedAttention.Grains.Admission;

/// <summary>How jobs are admitted, queued and bounded in time (set from the silo's options).</summary>
public sealed class AdmissionOptions
{
    /// <summary>Jobs that may wait for memory at once; more are refused. Read on the silo that hosts the ledger: give every silo the same value.</summary>
    public int MaxQueuedJobs { get; set; } = 64;

    /// <summary>How long an admitted job may take to upload its inputs and start before it fails and frees its memory (a client that went away).</summary>
    public TimeSpan UploadTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a completed job's outputs stay on the shards unread before the coordinator releases them.</summary>
    public TimeSpan OutputRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often a coordinator asks for admission while queued, and renews its memory while it holds it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long the ledger keeps an entry nobody renews (a coordinator lost and not yet resumed).</summary>
    public TimeSpan EntryLifetime { get; set; } = TimeSpan.FromSeconds(30);
}
