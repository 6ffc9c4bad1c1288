namespace DistributedAttention.Grains.Draining;

/// <summary>How a silo drains.</summary>
public sealed class SiloDrainOptions
{
    /// <summary>How long a draining silo waits for its running shards and coordinators before leaving anyway (they are then recovered elsewhere).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often the drain checks whether the work has finished.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(100);
}
