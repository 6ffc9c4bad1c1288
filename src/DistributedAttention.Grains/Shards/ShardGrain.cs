using DistributedAttention.Abstractions;
using DistributedAttention.Core.Distributed;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Diagnostics;
using DistributedAttention.Grains.Draining;
using DistributedAttention.Grains.Messaging;
using DistributedAttention.Grains.Placement;
using DistributedAttention.Grains.Runtime;
using DistributedAttention.Grains.Shards.Backups;
using DistributedAttention.Grains.Shards.Programs;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Configuration;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Shards;

/// <summary>
/// One shard of one job, in four roles (one interface each): control for the coordinator
/// (this file and ShardGrain.Layers.cs), data in and out for the client (ShardGrain.Data.cs),
/// copies of its predecessors' inputs (ShardGrain.Replicas.cs) and ring member. It holds its
/// rows' layer inputs and runs its job kind's <see cref="IShardProgram"/> on its device slot's
/// compute thread, so the silo's messaging threads stay free. Reentrant: deliveries, aborts and
/// probes interleave with a running layer.
/// </summary>
[RingPlacement]
[Reentrant]
public sealed partial class ShardGrain(DeviceSlots slots, SiloDeviceDirectory directory, ModelCache models, BackupStores backupStores, SiloWork work, IOptions<SiloMessagingOptions> messaging)
    : Grain, IShardControl, IShardData, IShardReplica, IShardRing
{
    private readonly ShardMailbox mailbox = new();
    private readonly SortedDictionary<int, Tensor[]> held = [];
    private IBackupStore? backups;
    private ShardAssignment? assignment;
    private Task? joining;
    private ShardLayout? layout;
    private RingSlot? slot;
    private IComputeExecutor? executor;
    private IShardProgram? program;
    private ShardInputs? inputs;

    private int Shard => assignment!.Shard;

    private IBackupStore Backups => backups ??= backupStores.Create(this.GetPrimaryKeyString());

    /// <inheritdoc />
    public async Task InitializeAsync(ShardAssignment assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        // Joins interleave (the grain is reentrant): the first one does the work, the others wait for it.
        if (this.assignment is null && joining is null) joining = JoinAsync(assignment);
        if (joining is not null) await joining;
        if (!this.assignment!.SameAs(assignment))
            throw new InvalidOperationException($"shard {ShardKey.Format(assignment.JobId, assignment.Shard)} already belongs to another job configuration.");
    }

    /// <inheritdoc />
    public Task<ShardProbe> ProbeAsync()
    {
        if (assignment is null) return Task.FromResult(new ShardProbe(false, false, "the shard has not joined its job", [], Placement()));
        var missing = held.Count > 0 ? null : inputs?.Missing();
        return Task.FromResult(new ShardProbe(true, missing is null, missing, [.. held.Keys], Placement()));
    }

    /// <inheritdoc />
    public async Task ReleaseAsync()
    {
        await StopRunsAsync(int.MaxValue, "the job's tensors were released");
        DropTensors();
        await DropProgramAsync();
        backups?.Clear();
        work.ShardLeft(this.GetPrimaryKeyString());
        DeactivateOnIdle();
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await StopRunsAsync(int.MaxValue, $"the shard is deactivating ({reason.Description})");
        DropTensors();
        await DropProgramAsync();
        backups?.Dispose();
        work.ShardLeft(this.GetPrimaryKeyString());
        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    private async Task JoinAsync(ShardAssignment joined)
    {
        try
        {
            var ring = new ShardLayout(joined.Bounds);
            slot = await directory.LocateAsync(joined.Shard);
            executor = slots.For(slot.Slot);
            program = ShardPrograms.For(joined.Work, slot.Device, models);
            inputs = new ShardInputs(joined.Work.Inputs, ring.Start(joined.Shard), ring.Size(joined.Shard));
            (layout, assignment) = (ring, joined);
            // Runs here until released: a draining silo waits for it.
            work.ShardJoined(this.GetPrimaryKeyString());
        }
        finally
        {
            joining = null;
        }
    }

    private ShardPlacement Placement()
    {
        var silo = directory.LocalSilo.ToString();
        return assignment is null
            ? new ShardPlacement(-1, 0, 0, silo, "")
            : new ShardPlacement(Shard, layout!.Start(Shard), layout.End(Shard), silo, slot!.Device);
    }

    private T Peer<T>(int shard) where T : IGrainWithStringKey => GrainFactory.GetGrain<T>(ShardKey.Format(assignment!.JobId, shard));

    /// <summary>Sets (or clears) the tensors held for <paramref name="layer"/>, disposing what was there.</summary>
    private void Replace(int layer, Tensor[]? tensors)
    {
        var device = slot?.Device ?? "cpu";
        if (held.Remove(layer, out var old))
        {
            JobMetrics.AddTensorMemory(device, -Bytes(old));
            foreach (var t in old) t.Dispose();
        }
        if (tensors is not null)
        {
            held[layer] = tensors;
            JobMetrics.AddTensorMemory(device, Bytes(tensors));
        }
    }

    private static long Bytes(Tensor[] tensors) => tensors.Sum(t => t.NumberOfElements * t.ElementSize);

    private void DropTensors()
    {
        foreach (var layer in held.Keys.ToArray()) Replace(layer, null);
        inputs?.Dispose();
        inputs = null;
    }

    /// <summary>Returns the program's model lease on the device thread, behind anything of this shard still queued there.</summary>
    private async Task DropProgramAsync()
    {
        if (Interlocked.Exchange(ref program, null) is not { } done) return;
        try
        {
            await executor!.RunAsync(() =>
            {
                done.Dispose();
                return true;
            });
        }
        catch (ObjectDisposedException)
        {
            // The device threads stopped with the silo; the cache frees every model itself.
        }
    }

    private void RequireJob()
    {
        if (assignment is null)
            throw new InvalidOperationException($"shard grain {this.GetPrimaryKeyString()} has not joined a job (it may have been lost with its silo).");
    }

    private int ChunksPerBatch => StreamBatching.ChunksPerBatch(assignment!.Options.ChunkBytes, messaging.Value.MaxMessageBodySize);
}
