using DistributedAttention.Core.Runtime;
using DistributedAttention.Grains.Runtime;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Tests;

/// <summary>A silo's CPU slots run their tensor ops with the thread share the silo was given.</summary>
public sealed class DeviceSlotsTests
{
    [Fact]
    public async Task Every_cpu_slot_computes_with_the_silos_thread_share()
    {
        TorchRuntime.EnsureLoaded();
        using var slots = new DeviceSlots(["cpu", "cpu"], cpuThreads: 1);
        Assert.Equal(1, await slots.For(0).RunAsync(get_num_threads));
        Assert.Equal(1, await slots.For(1).RunAsync(get_num_threads));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceSlots(["cpu"], cpuThreads: -1));
    }
}
