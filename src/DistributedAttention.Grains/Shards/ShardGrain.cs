using System.Diagnostics;
using System.Runtime.CompilerServices;
using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Distributed;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Grains.Messaging;
using DistributedAttention.Grains.Placement;
using DistributedAttention.Grains.Runtime;
using DistributedAttention.Model;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Configuration;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Shards;

/// <summary>
/// One shard of one job. It holds its rows' layer input, runs each layer on its device slot's
/// compute thread (so the silo's messaging threads stay free) and talks to its ring neighbours
/// through <see cref="OrleansRingTransport"/>. After each layer it gives its right neighbour a
/// copy of its output, from which <see cref="RestoreAsync"/> rebuilds it if its silo is lost.
/// Reentrant: deliveries, aborts and probes interleave with a running layer.
/// </summary>
[RingPlacement]
[Reentrant]
public sealed class ShardGrain(DeviceSlots slots, SiloDeviceDirectory directory, ModelCache models, IOptions<SiloMessagingOptions> messaging) : Grain, IShardGrain
{
    private readonly ShardMailbox mailbox = new();
    private readonly ShardBackups backups = new();
    private readonly SortedDictionary<int, Tensor[]> held = [];
    private ShardAssignment? assignment;
    private ShardLayout? layout;
    private RingSlot? slot;
    private IComputeExecutor? executor;
    private ShardInputs? inputs;
    private TransformerModel? model;
    private AttentionSpec? spec;
    private CancellationTokenSource? running;

    private int Shard => assignment!.Shard;

    private int Layers => model?.Layers.Count ?? 1;

    private int SequenceDim => assignment!.Kind == JobKind.Model ? 1 : 2;

    /// <inheritdoc />
    public async Task InitializeAsync(ShardAssignment assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        if (this.assignment is not null && this.assignment != assignment && !SameJob(this.assignment, assignment))
            throw new InvalidOperationException($"shard {ShardKey.Format(assignment.JobId, assignment.Shard)} already belongs to another job configuration.");
        if (this.assignment is not null) return;
        var ring = new ShardLayout(assignment.Bounds);
        slot = await directory.LocateAsync(assignment.Shard);
        executor = slots.For(slot.Slot);
        if (assignment.Kind == JobKind.Model)
        {
            model = models.Get(TransformerOptions.FromJson(assignment.ConfigJson), slot.Device);
            inputs = new ShardInputs(ring.Start(assignment.Shard), ring.Size(assignment.Shard), "tokens");
        }
        else
        {
            spec = AttentionSpec.FromJson(assignment.ConfigJson);
            inputs = new ShardInputs(ring.Start(assignment.Shard), ring.Size(assignment.Shard), "q", "k", "v");
        }
        (this.assignment, layout) = (assignment, ring);
    }

    /// <inheritdoc />
    public Task<ShardPlacement> GetPlacementAsync()
    {
        var silo = directory.LocalSilo.ToString();
        if (assignment is null) return Task.FromResult(new ShardPlacement(-1, 0, 0, silo, ""));
        return Task.FromResult(new ShardPlacement(Shard, layout!.Start(Shard), layout.End(Shard), silo, slot!.Device));
    }

    /// <inheritdoc />
    public Task<bool> HoldsInputAsync(int layer) => Task.FromResult(assignment is not null && held.ContainsKey(layer));

    /// <inheritdoc />
    public Task LoadInputAsync(TensorChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        RequireJob();
        if (inputs is null) throw new InvalidOperationException($"shard {Shard} has already started; inputs can no longer change.");
        inputs.Add(chunk);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<LayerReport> PrepareAsync()
    {
        RequireJob();
        var traffic = new TrafficCounter();
        if (held.ContainsKey(0)) return new LayerReport(Shard, -1, directory.LocalSilo.ToString(), 0, traffic.Snapshot());
        var clock = Stopwatch.StartNew();
        var staged = inputs!.Complete();
        Tensor[] first;
        if (model is not null)
        {
            var ids = staged[0];
            first = [await executor!.RunAsync(() =>
            {
                using var scope = NewDisposeScope();
                return model.Embed(ids.to(ScalarType.Int64)).MoveToOuterDisposeScope();
            })];
        }
        else
        {
            first = staged.Select(t => t.alias()).ToArray();
        }
        inputs.Dispose();
        inputs = null;
        held[0] = first;
        await PushBackupAsync(0, first, traffic);
        return new LayerReport(Shard, -1, directory.LocalSilo.ToString(), clock.Elapsed.TotalSeconds, traffic.Snapshot());
    }

    /// <inheritdoc />
    public async Task<LayerReport> RunLayerAsync(int layer, int attempt)
    {
        RequireJob();
        if (!held.TryGetValue(layer, out var input))
            throw new InvalidOperationException($"shard {Shard} does not hold the input of layer {layer} (it holds {string.Join(", ", held.Keys)}).");
        // The coordinator starts a layer only when every shard finished the one before, so older inputs are done with.
        foreach (var old in held.Keys.Where(l => l < layer).ToArray()) Replace(old, null);
        using var cancel = new CancellationTokenSource();
        running = cancel;
        var clock = Stopwatch.StartNew();
        // Peers are resolved here, on the activation: the ring code continues on other threads.
        var peers = Enumerable.Range(0, layout!.Count).Select(s => GrainFactory.GetGrain<IShardGrain>(ShardKey.Format(assignment!.JobId, s))).ToArray();
        var transport = new OrleansRingTransport(layout, Shard, $"a{attempt}/L{layer}/", s => peers[s], mailbox, assignment!.Options.Wire, assignment.Options.ChunkBytes);
        Tensor[] output;
        if (model is not null)
        {
            var y = await ShardedTransformer.LayerAsync(model.Layers[layer], input[0], transport, executor!, $"L{layer}", cancel.Token);
            if (layer == Layers - 1)
            {
                using (y) output = [await ShardedTransformer.FinalNormAsync(model, y, executor!, cancel.Token)];
            }
            else
            {
                output = [y];
            }
        }
        else
        {
            var result = await ShardAttention.ForwardAsync(spec!, input[0], input[1], input[2], transport, executor!, "A", cancel.Token);
            output = result.Lse is null ? [result.Output] : [result.Output, result.Lse];
        }
        Replace(layer + 1, output);
        await PushBackupAsync(layer + 1, output, transport.Traffic);
        running = null;
        return new LayerReport(Shard, layer, directory.LocalSilo.ToString(), clock.Elapsed.TotalSeconds, transport.Traffic.Snapshot());
    }

    /// <inheritdoc />
    public Task DeliverAsync(RingMessage message)
    {
        mailbox.Deliver(message);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task AbortAsync(int attempt)
    {
        mailbox.Abort($"a{attempt}/", new OperationCanceledException($"attempt {attempt} was abandoned by the coordinator."));
        try
        {
            running?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The layer finished meanwhile.
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StoreBackupAsync(int owner, int layer, TensorChunk chunk)
    {
        backups.Store(owner, layer, chunk);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<TensorChunk> ReadBackupAsync(int owner, int layer, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var chunk in backups.Get(owner, layer).ToArray())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return chunk;
        }
        await Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task RestoreAsync(ShardAssignment assignment, int layer)
    {
        await InitializeAsync(assignment);
        inputs?.Dispose();
        inputs = null;
        var holder = GrainFactory.GetGrain<IShardGrain>(ShardKey.Format(assignment.JobId, (assignment.Shard + 1) % layout!.Count));
        var rows = layout.Size(Shard);
        var tensors = new SortedDictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            await foreach (var chunk in holder.ReadBackupAsync(Shard, layer).WithBatchSize(StreamBatching.ChunksPerBatch(assignment.Options.ChunkBytes, messaging.Value.MaxMessageBodySize)))
            {
                if (!tensors.TryGetValue(chunk.Name, out var target))
                {
                    var shape = (long[])chunk.Shape.Clone();
                    shape[chunk.SequenceDim] = rows;
                    target = empty(shape, dtype: ScalarType.Float32);
                    tensors[chunk.Name] = target;
                }
                TensorChunks.CopyInto(chunk, target, layout.Start(Shard));
            }
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
        var device = torch.device(slot!.Device);
        Replace(layer, tensors.Values.Select(t =>
        {
            if (t.device_type == device.type) return t;
            using (t) return t.to(device);
        }).ToArray());
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<TensorChunk> ReadOutputAsync(string name, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        RequireJob();
        if (!held.TryGetValue(Layers, out var output))
            throw new InvalidOperationException($"shard {Shard} has no output yet (it holds the input of layer {string.Join(", ", held.Keys)}).");
        var index = OutputIndex(name);
        if (index >= output.Length) yield break;
        var (tensor, start) = (output[index], layout!.Start(Shard));
        var rows = tensor.shape[SequenceDim];
        var rowBytes = Math.Max(1, tensor.NumberOfElements / Math.Max(rows, 1) * tensor.ElementSize);
        var perChunk = Math.Max(1, assignment!.Options.ChunkBytes / rowBytes);
        for (long r = 0; r < rows; r += perChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return TensorChunks.Chunk(name, tensor, SequenceDim, start, r, Math.Min(perChunk, rows - r));
        }
        await Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ReleaseAsync()
    {
        foreach (var layer in held.Keys.ToArray()) Replace(layer, null);
        inputs?.Dispose();
        inputs = null;
        backups.Clear();
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        foreach (var layer in held.Keys.ToArray()) Replace(layer, null);
        inputs?.Dispose();
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    private int OutputIndex(string name) => (assignment!.Kind, name) switch
    {
        (JobKind.Model, "hidden") => 0,
        (JobKind.Attention, "o") => 0,
        (JobKind.Attention, "lse") => 1,
        _ => throw new ArgumentException($"a {assignment.Kind} job has no output '{name}'; it has {(assignment.Kind == JobKind.Model ? "'hidden'" : "'o' and 'lse'")}."),
    };

    private async Task PushBackupAsync(int layer, Tensor[] tensors, TrafficCounter traffic)
    {
        var p = layout!.Count;
        if (!assignment!.Options.Replicate || p == 1) return;
        var holder = GrainFactory.GetGrain<IShardGrain>(ShardKey.Format(assignment.JobId, (Shard + 1) % p));
        var chunks = tensors.SelectMany((t, i) => TensorChunks.Split(i.ToString(System.Globalization.CultureInfo.InvariantCulture), t, SequenceDim, layout.Start(Shard), assignment.Options.ChunkBytes));
        await Pipelined.ForEachAsync(chunks, chunk =>
        {
            traffic.Add("backup", chunk.Data.LongLength);
            return holder.StoreBackupAsync(Shard, layer, chunk);
        });
    }

    private void Replace(int layer, Tensor[]? tensors)
    {
        if (held.Remove(layer, out var old))
        {
            foreach (var t in old) t.Dispose();
        }
        if (tensors is not null) held[layer] = tensors;
    }

    private void RequireJob()
    {
        if (assignment is null)
            throw new InvalidOperationException($"shard grain {this.GetPrimaryKeyString()} has not joined a job (it may have been lost with its silo).");
    }

    private static bool SameJob(ShardAssignment a, ShardAssignment b) =>
        a.JobId == b.JobId && a.Shard == b.Shard && a.Kind == b.Kind && a.ConfigJson == b.ConfigJson && a.Bounds.SequenceEqual(b.Bounds);
}
