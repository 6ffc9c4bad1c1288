using DistributedAttention.Core.Runtime;
using DistributedAttention.Grains.Placement;

namespace DistributedAttention.Grains.Runtime;

/// <summary>
/// The device slots of this silo (a silo singleton): their names, and one compute thread
/// (<see cref="DeviceWorker"/>) per slot, started on first use and stopped with the silo.
/// Slots may share a device ("cpu,cpu"): each still gets its own thread.
/// </summary>
public sealed class DeviceSlots : IDisposable
{
    private readonly DeviceWorker?[] workers;
    private readonly Lock gate = new();
    private readonly int cpuThreads;
    private bool disposed;

    /// <summary>Creates the slots; null or empty means one "cpu" slot.</summary>
    /// <param name="devices">The slots' devices.</param>
    /// <param name="cpuThreads">libtorch intra-op threads of each CPU slot's compute thread; 0: libtorch's default (every core).</param>
    /// <exception cref="ArgumentException">A device name is empty or contains ','.</exception>
    public DeviceSlots(IEnumerable<string>? devices, int cpuThreads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cpuThreads);
        this.cpuThreads = cpuThreads;
        var names = devices?.Select(SiloDevices.Normalize).ToArray() ?? [];
        Devices = names.Length == 0 ? [SiloDevices.DefaultDevice] : names;
        workers = new DeviceWorker?[Devices.Count];
    }

    /// <summary>The slots' device names, in slot order.</summary>
    public IReadOnlyList<string> Devices { get; }

    /// <summary>The executor of slot <paramref name="slot"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">There is no such slot.</exception>
    /// <exception cref="ObjectDisposedException">The silo is stopping.</exception>
    public IComputeExecutor For(int slot)
    {
        if (slot < 0 || slot >= workers.Length)
            throw new ArgumentOutOfRangeException(nameof(slot), slot, $"this silo has {workers.Length} device slot(s): {string.Join(", ", Devices)}.");
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return workers[slot] ??= new DeviceWorker($"{Devices[slot]} #{slot}", Devices[slot] == SiloDevices.DefaultDevice ? cpuThreads : 0);
        }
    }

    /// <summary>The executor of the first slot on <paramref name="device"/> ("cpu", "cuda:1"…).</summary>
    /// <exception cref="ArgumentException">No slot of this silo runs on that device.</exception>
    public IComputeExecutor For(string device)
    {
        var name = SiloDevices.Normalize(device);
        for (var slot = 0; slot < Devices.Count; slot++)
        {
            if (Devices[slot] == name) return For(slot);
        }
        throw new ArgumentException($"this silo has no slot on device '{device}'; its slots are: {string.Join(", ", Devices)}.", nameof(device));
    }

    /// <summary>
    /// Stops the compute threads: queued work fails, running work finishes first. Returns whether
    /// every thread has ended (so nothing computes on tensors or weights any more).
    /// </summary>
    public bool Stop()
    {
        lock (gate)
        {
            disposed = true;
            var stopped = true;
            foreach (var worker in workers)
            {
                if (worker is not null) stopped &= worker.Stop(DeviceWorker.StopTimeout);
            }
            return stopped;
        }
    }

    /// <summary>Stops the compute threads (<see cref="Stop"/>).</summary>
    public void Dispose() => Stop();
}
