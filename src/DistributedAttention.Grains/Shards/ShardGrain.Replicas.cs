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
/// Recovery copies: after preparing and after each layer a shard gives the next
/// <see cref="JobOptions.EffectiveReplicas"/> shards of the ring a copy of its new layer input,
/// keeps the copies its predecessors give it, and rebuilds itself from one after a loss.
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

    /// <inheritdoc />
    public async Task<LayerReport> ReplicateAsync(int layer)
    {
        RequireJob();
        if (!held.TryGetValue(layer, out var input))
            throw new InvalidOperationException($"shard {Shard} does not hold its input to layer {layer}, so it cannot copy it.");
        var traffic = new TrafficCounter();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await PushBackupsAsync(layer, input, traffic);
        return new LayerReport(Shard, layer, directory.LocalSilo.ToString(), clock.Elapsed.TotalSeconds, traffic.Snapshot());
    }

    private async Task PushBackupsAsync(int layer, Tensor[] tensors, TrafficCounter traffic)
    {
        var replicas = assignment!.Options.EffectiveReplicas;
        if (replicas == 0) return;
        var p = layout!.Count;
        var holders = Enumerable.Range(1, replicas).Select(k => Peer<IShardReplica>((Shard + k) % p)).ToArray();
        var (start, chunkBytes) = (layout.Start(Shard), assignment.Options.ChunkBytes);
        var chunks = tensors.SelectMany((t, i) => TensorChunkCodec.Split(t, i.ToString(CultureInfo.InvariantCulture), program!.SequenceDim, start, chunkBytes, ElementType.Float32));
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
