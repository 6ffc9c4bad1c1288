using System.Runtime.CompilerServices;
using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.IO;

namespace DistributedAttention.Grains.Shards;

/// <summary>The shard's data plane: the client uploads input rows here and streams output rows from here.</summary>
public sealed partial class ShardGrain
{
    /// <inheritdoc />
    public Task LoadInputAsync(TensorChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        RequireJob();
        if (inputs is null || held.Count > 0) throw new InvalidOperationException($"shard {Shard} has already started; its inputs can no longer change.");
        inputs.Add(chunk);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<TensorChunk> ReadOutputAsync(string name, long fromRow, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        RequireJob();
        var work = assignment!.Work;
        var output = work.Output(name);
        var index = work.Outputs.ToList().FindIndex(o => o.Name == name);
        if (!held.TryGetValue(work.Layers, out var final) || index >= final.Length)
            throw new InvalidOperationException($"shard {Shard} has no output yet (it holds the input of layer {(held.Count == 0 ? "none" : string.Join(", ", held.Keys))}).");
        var (start, rows) = (layout!.Start(Shard), layout.Size(Shard));
        if (fromRow < start || fromRow > start + rows)
            throw new ArgumentException($"row {fromRow} is outside shard {Shard}'s rows {start}..{start + rows - 1}.", nameof(fromRow));
        // In the output's own layout: a model shard holds (1, rows, d), its output is rows of (n, d).
        using var view = final[index].reshape(output.Rows(rows));
        foreach (var chunk in TensorChunkCodec.Split(view, name, output.SequenceDim, start, StreamBatching.OutputChunkBytes(assignment.Options.ChunkBytes), output.Type, fromRow - start))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return chunk;
        }
        await Task.CompletedTask;
    }
}
