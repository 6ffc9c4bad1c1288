using DistributedAttention.Abstractions;
using DistributedAttention.Grains.Admission;
using DistributedAttention.Grains.Draining;
using DistributedAttention.Grains.Placement;
using DistributedAttention.Grains.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace DistributedAttention.Grains;

/// <summary>Registers what the grains of this assembly need on a silo.</summary>
public static class GrainsSiloBuilderExtensions
{
    /// <summary>
    /// Registers this silo's device slots (<see cref="DeviceSlots"/>), publishes them as silo
    /// metadata (<see cref="SiloDevices.MetadataKey"/>), and registers
    /// <see cref="SiloDeviceDirectory"/>, the placement directors, and what a drain needs
    /// (<see cref="SiloWork"/>, <see cref="DrainingSilos"/>, <see cref="ISiloDrain"/>), and what
    /// admission control needs (<see cref="SiloMemoryBudgets"/>, <see cref="AdmissionOptions"/>).
    /// </summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="devices">This silo's device slots ("cpu", "cuda:0"…); null or empty means one "cpu" slot.</param>
    /// <param name="memoryBudget">This silo's memory budget for job tensors in bytes, published as silo metadata for admission control (<see cref="SiloMemoryBudget.Unlimited"/>: none).</param>
    /// <param name="cpuThreads">libtorch intra-op threads of each CPU slot's compute thread (0: libtorch's default, every core); set it when several silos share the cores.</param>
    public static ISiloBuilder AddDistributedAttentionGrains(this ISiloBuilder builder, IEnumerable<string>? devices, long memoryBudget = SiloMemoryBudget.Unlimited, int cpuThreads = 0)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfLessThan(memoryBudget, 1);
        var names = new DeviceSlots(devices).Devices;
        builder.UseSiloMetadata(new Dictionary<string, string>
        {
            [SiloDevices.MetadataKey] = SiloDevices.Format(names),
            [SiloMemoryBudget.MetadataKey] = SiloMemoryBudget.Format(memoryBudget),
        });
        builder.Services.AddSingleton(new LocalMemoryBudget(memoryBudget));
        builder.Services.AddSingleton<SiloMemoryBudgets>();
        builder.Services.AddOptions<AdmissionOptions>();
        // A factory registration, so the container disposes the slots (and their threads) with the silo.
        builder.Services.AddSingleton(_ => new DeviceSlots(names, cpuThreads));
        builder.Services.AddSingleton<SiloWork>();
        builder.Services.AddSingleton<DrainingSilos>();
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<DrainingSilos>());
        builder.Services.AddSingleton<ISiloDrain, SiloDrain>();
        builder.Services.AddOptions<SiloDrainOptions>();
        builder.Services.AddSingleton<SiloDeviceDirectory>();
        builder.Services.AddSingleton<Runtime.ModelCache>();
        builder.Services.AddSingleton<Shards.Backups.BackupStores>();
        builder.Services.AddOptions<Shards.Backups.ShardBackupOptions>();
        builder.AddPlacementDirector<RingPlacement, RingPlacementDirector>();
        builder.AddPlacementDirector<CoordinatorPlacement, CoordinatorPlacementDirector>();
        return builder;
    }
}
