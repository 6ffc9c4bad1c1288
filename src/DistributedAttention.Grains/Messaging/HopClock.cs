namespace DistributedAttention.Grains.Messaging;

/// <summary>Seconds a shard's sends and receives took, split into waiting for peers and moving data. Thread-safe.</summary>
public sealed class HopClock
{
    private long waitTicks;
    private long transferTicks;

    /// <summary>Seconds spent waiting for a peer's data to start arriving.</summary>
    public double WaitSeconds => TimeSpan.FromTicks(Interlocked.Read(ref waitTicks)).TotalSeconds;

    /// <summary>Seconds spent moving data (sending, or receiving once it flowed).</summary>
    public double TransferSeconds => TimeSpan.FromTicks(Interlocked.Read(ref transferTicks)).TotalSeconds;

    /// <summary>Adds waiting time.</summary>
    public void AddWait(double seconds) => Interlocked.Add(ref waitTicks, TimeSpan.FromSeconds(seconds).Ticks);

    /// <summary>Adds transfer time.</summary>
    public void AddTransfer(double seconds) => Interlocked.Add(ref transferTicks, TimeSpan.FromSeconds(seconds).Ticks);
}
