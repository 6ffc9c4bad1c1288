namespace DistributedAttention.Hosting;

/// <summary>Messaging limits that silos and clients must agree on.</summary>
public static class ClusterMessaging
{
    /// <summary>Largest message body the silos accept by default: 128 MiB (Orleans' default is 100 MB).</summary>
    public const int DefaultMaxMessageBodyBytes = 128 << 20;
}
