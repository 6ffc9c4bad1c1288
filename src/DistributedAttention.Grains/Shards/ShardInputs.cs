using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.IO;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Shards;

/// <summary>
/// Stages a shard's input rows as they arrive in chunks (token ids, or q, k, v), and says
/// whether every row has arrived. A block sent again (an upload repeated after an interruption)
/// replaces the first copy instead of counting twice.
/// </summary>
internal sealed class ShardInputs : IDisposable
{
    private readonly Dictionary<string, Staged> staged = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<TensorLayout> inputs;
    private readonly long start;
    private readonly long rows;

    public ShardInputs(IReadOnlyList<TensorLayout> inputs, long start, long rows)
    {
        this.inputs = inputs;
        this.start = start;
        this.rows = rows;
    }

    /// <summary>Copies a chunk into its tensor, allocating the tensor on the first chunk.</summary>
    /// <exception cref="ArgumentException">The chunk names no input of the job, or does not fit this shard's rows.</exception>
    public void Add(TensorChunk chunk)
    {
        var layout = inputs.FirstOrDefault(i => i.Name == chunk.Name)
            ?? throw new ArgumentException($"unexpected input '{chunk.Name}'; this job takes {string.Join(", ", inputs.Select(i => $"'{i.Name}'"))}.");
        if (!staged.TryGetValue(chunk.Name, out var entry))
        {
            entry = new Staged(empty(layout.Rows(rows), dtype: TensorChunkCodec.ScalarTypeOf(layout.Type)), rows);
            staged[chunk.Name] = entry;
        }
        var written = TensorChunkCodec.CopyInto(chunk, entry.Tensor, layout.SequenceDim, start, layout.Type);
        for (var r = chunk.RowStart - start; r < chunk.RowStart - start + written; r++)
        {
            if (entry.Arrived[(int)r]) continue;
            entry.Arrived[(int)r] = true;
            entry.Rows++;
        }
    }

    /// <summary>What is still missing, or null when every row of every input has arrived.</summary>
    public string? Missing()
    {
        foreach (var input in inputs)
        {
            if (!staged.TryGetValue(input.Name, out var entry)) return $"input '{input.Name}' of rows {start}..{start + rows - 1} was never uploaded";
            if (entry.Rows != rows) return $"input '{input.Name}': {entry.Rows} of {rows} rows arrived (rows {start}..{start + rows - 1})";
        }
        return null;
    }

    /// <summary>The complete inputs in the job's input order (still owned by this object).</summary>
    /// <exception cref="InvalidOperationException">Some input is incomplete; the message names it.</exception>
    public Tensor[] Complete() =>
        Missing() is { } missing ? throw new InvalidOperationException(missing + ".") : [.. inputs.Select(i => staged[i.Name].Tensor)];

    public void Dispose()
    {
        foreach (var entry in staged.Values) entry.Tensor.Dispose();
        staged.Clear();
    }

    private sealed class Staged(Tensor tensor, long rows)
    {
        public Tensor Tensor { get; } = tensor;

        /// <summary>Which rows have arrived (a repeated block must not count twice).</summary>
        public System.Collections.BitArray Arrived { get; } = new(checked((int)rows));

        public long Rows { get; set; }
    }
}
