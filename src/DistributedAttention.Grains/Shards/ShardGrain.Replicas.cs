using System.Globalization;
using System.Runtime.CompilerServices;
using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.IO;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Diagnostics;
using DistributedAttention.Grains.Messaging;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Shards;

/// <summary>
/// Recovery copies: after preparing and after each layer but the last a shard gives the next
/// <see cref="JobOptions.EffectiveReplicas"/> shards of the ring a copy of its new layer input,
/// keeps the copies its predecessors give it, and rebuilds itself from one after a loss. The copy
/// of the input to layer 0 is the uploaded inputs, which a restore prepares again: a book's token
/// ids are 4 bytes a token, its embeddings 4·d_model.
/// </summary>
public sealed partial class ShardGrain
{
    /// <inheritdoc />
    public Task StoreBackupAsync(int owner, int layer, TensorChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        Backups.Store(owner, layer, chunk);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<TensorChunk> ReadBackupAsync(int owner, int layer, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var chunk in Backups.Read(owner, layer))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return chunk;
        }
        await Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task RestoreAsync(ShardAssignment assignment, int layer, int holder)
    {
        await InitializeAsync(assignment);
        await StopRunningAsync();
        if (layer == 0)
        {
            await RestoreUploadedAsync(holder);
            return;
        }
        inputs?.Dispose();
        inputs = null;
        var (start, rows) = (layout!.Start(Shard), layout.Size(Shard));
        var tensors = new SortedDictionary<string, (Tensor Tensor, int SequenceDim, long Rows)>(StringComparer.Ordinal);
        try
        {
            await foreach (var chunk in Peer<IShardReplica>(holder).ReadBackupAsync(Shard, layer).WithBatchSize(ChunksPerBatch))
            {
                if (!tensors.TryGetValue(chunk.Name, out var target))
                {
                    var shape = (long[])chunk.Shape.Clone();
                    shape[chunk.SequenceDim] = rows;
                    target = (empty(shape, dtype: ScalarType.Float32), chunk.SequenceDim, 0);
                }
                tensors[chunk.Name] = target with { Rows = target.Rows + TensorChunkCodec.CopyInto(chunk, target.Tensor, target.SequenceDim, start, ElementType.Float32) };
            }
            var incomplete = tensors.FirstOrDefault(t => t.Value.Rows != rows);
            if (tensors.Count == 0 || incomplete.Key is not null)
                throw new InvalidOperationException($"the copy of shard {Shard}'s input to layer {layer} on shard {holder} is incomplete.");
        }
        catch
        {
            foreach (var t in tensors.Values) t.Tensor.Dispose();
            throw;
        }
        var device = torch.device(slot!.Device);
        Replace(layer, [.. tensors.Values.Select(t =>
        {
            if (t.Tensor.device_type == device.type) return t.Tensor;
            using (t.Tensor) return t.Tensor.to(device);
        })]);
    }

    /// <summary>Restores the input to layer 0 from the copy of the uploaded inputs, preparing them again; they stay as this shard's copy to give.</summary>
    private async Task RestoreUploadedAsync(int holder)
    {
        var staged = new ShardInputs(assignment!.Work.Inputs, layout!.Start(Shard), layout.Size(Shard));
        try
        {
            await foreach (var chunk in Peer<IShardReplica>(holder).ReadBackupAsync(Shard, 0).WithBatchSize(ChunksPerBatch)) staged.Add(chunk);
            if (staged.Missing() is { } missing)
                throw new InvalidOperationException($"the copy of shard {Shard}'s input to layer 0 on shard {holder} is incomplete: {missing}.");
            Replace(0, await program!.PrepareAsync(staged.Complete(), executor!, CancellationToken.None));
        }
        catch (Exception e)
        {
            staged.Dispose();
            // A copy that does not fit the job's inputs is as unusable as a missing one: the next holder may have a good one.
            if (e is ArgumentException) throw new InvalidOperationException($"the copy of shard {Shard}'s input to layer 0 on shard {holder} does not fit: {e.Message}", e);
            throw;
        }
        inputs?.Dispose();
        inputs = staged;
    }

    /// <inheritdoc />
    public async Task<LayerReport> ReplicateAsync(int layer)
    {
        RequireJob();
        var traffic = new TrafficCounter();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (layer == 0)
        {
            await PushBackupsAsync(0, UploadedChunks(), traffic);
        }
        else
        {
            if (!held.TryGetValue(layer, out var input))
                throw new InvalidOperationException($"shard {Shard} does not hold its input to layer {layer}, so it cannot copy it.");
            await PushBackupsAsync(layer, HeldChunks(input), traffic);
        }
        return new LayerReport(Shard, layer, directory.LocalSilo.ToString(), clock.Elapsed.TotalSeconds, traffic.Snapshot());
    }

    /// <summary>The copy of the input to layer 0: the uploaded inputs, in their own layouts and element types.</summary>
    private IEnumerable<TensorChunk> UploadedChunks()
    {
        if (inputs is null) throw new InvalidOperationException($"shard {Shard} no longer holds its uploaded inputs, so it cannot copy its input to layer 0.");
        var (start, chunkBytes) = (layout!.Start(Shard), assignment!.Options.ChunkBytes);
        var uploaded = inputs.Complete();
        return assignment.Work.Inputs.SelectMany((input, i) => TensorChunkCodec.Split(uploaded[i], input.Name, input.SequenceDim, start, chunkBytes, input.Type));
    }

    /// <summary>The copy of a held layer input, in fp32 whatever the wire.</summary>
    private IEnumerable<TensorChunk> HeldChunks(Tensor[] tensors)
    {
        var (start, chunkBytes) = (layout!.Start(Shard), assignment!.Options.ChunkBytes);
        return tensors.SelectMany((t, i) => TensorChunkCodec.Split(t, i.ToString(CultureInfo.InvariantCulture), program!.SequenceDim, start, chunkBytes, ElementType.Float32));
    }

    private async Task PushBackupsAsync(int layer, IEnumerable<TensorChunk> chunks, TrafficCounter traffic)
    {
        var replicas = assignment!.Options.EffectiveReplicas;
        if (replicas == 0) return;
        var p = layout!.Count;
        var holders = Enumerable.Range(1, replicas).Select(k => Peer<IShardReplica>((Shard + k) % p)).ToArray();
        using var span = Telemetry.Start(SpanNames.Collective, "backup");
        span?.SetTag(AttributeNames.Collective, "backup");
        span?.SetTag(AttributeNames.Shard, Shard);
        span?.SetTag(AttributeNames.Layer, layer);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var sent = new long[holders.Length];
        await Pipelined.ForEachAsync(chunks, chunk =>
        {
            traffic.Add("backup", chunk.Data.LongLength * holders.Length);
            JobMetrics.BytesExchanged.Add(chunk.Data.LongLength * holders.Length, new KeyValuePair<string, object?>(AttributeNames.Collective, "backup"));
            for (var k = 0; k < sent.Length; k++) Interlocked.Add(ref sent[k], chunk.Data.LongLength);
            return Task.WhenAll(holders.Select(h => h.StoreBackupAsync(Shard, layer, chunk)));
        });
        // One hop per holder, as on the ring's collectives.
        for (var k = 0; k < holders.Length; k++) HopEvents.Sent(span, (Shard + k + 1) % p, "backup", sent[k], clock.Elapsed.TotalSeconds);
    }
}
