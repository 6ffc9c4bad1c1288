namespace DistributedAttention.Client;

/// <summary>How <see cref="JobClient"/> drives jobs; bound to the configuration section <see cref="ClientHostingExtensions.JobsSection"/>.</summary>
public sealed record JobClientOptions
{
    /// <summary>The defaults.</summary>
    public static JobClientOptions Default { get; } = new();

    /// <summary>How often the job's status is polled while it runs.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long the job may stay unreachable (its coordinator's silo lost, the cluster settling) before the client gives up.</summary>
    public TimeSpan UnreachableLimit { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Times a shard whose output could not be read is restored and read again.</summary>
    public int OutputRestores { get; set; } = 3;

    /// <summary>Throws <see cref="ArgumentException"/> naming every invalid setting.</summary>
    public void Validate()
    {
        var result = new JobClientOptionsValidator().Validate(null, this);
        if (result.Failed) throw new ArgumentException("invalid job client options: " + string.Join(" ", result.Failures));
    }
}
