namespace DistributedAttention.Grains.Messaging;

/// <summary>A receive failed because its run was abandoned (<see cref="ShardMailbox.Abort(string, Exception)"/>); the inner exception says why.</summary>
public sealed class RingAbortedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RingAbortedException(string message, Exception reason) : base(message, reason)
    {
    }
}
