using DistributedAttention.Abstractions;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Shards;

/// <summary>
/// Stages a shard's input rows as they arrive in chunks (token ids, or q, k, v), checking that
/// every row arrives exactly once before the job may start.
/// </summary>
internal sealed class ShardInputs : IDisposable
{
    private readonly Dictionary<string, Staged> staged = new(StringComparer.Ordinal);
    private readonly long start;
    private readonly long rows;
    private readonly string[] expected;

    public ShardInputs(long start, long rows, params string[] expected)
    {
        this.start = start;
        this.rows = rows;
        this.expected = expected;
    }

    /// <summary>Copies a chunk into its tensor, allocating the tensor from the first chunk's shape.</summary>
    public void Add(TensorChunk chunk)
    {
        if (!expected.Contains(chunk.Name))
            throw new ArgumentException($"unexpected input '{chunk.Name}'; this job takes {string.Join(", ", expected.Select(e => $"'{e}'"))}.");
        if (!staged.TryGetValue(chunk.Name, out var entry))
        {
            if (chunk.SequenceDim < 0 || chunk.SequenceDim >= chunk.Shape.Length)
                throw new ArgumentException($"input '{chunk.Name}': sequence dim {chunk.SequenceDim} is not a dim of shape [{string.Join(", ", chunk.Shape)}].");
            var shape = (long[])chunk.Shape.Clone();
            shape[chunk.SequenceDim] = rows;
            var dtype = chunk.Name == "tokens" ? ScalarType.Int32 : ScalarType.Float32;
            entry = new Staged(empty(shape, dtype: dtype), []);
            staged[chunk.Name] = entry;
        }
        if (!entry.RowStarts.Add(chunk.RowStart))
            throw new ArgumentException($"input '{chunk.Name}': rows from {chunk.RowStart} arrived twice.");
        entry.Rows += TensorChunks.CopyInto(chunk, entry.Tensor, start);
    }

    /// <summary>The complete inputs in expected order; throws naming what is missing.</summary>
    public Tensor[] Complete()
    {
        foreach (var name in expected)
        {
            if (!staged.TryGetValue(name, out var entry))
                throw new InvalidOperationException($"input '{name}' of rows {start}..{start + rows - 1} was never uploaded.");
            if (entry.Rows != rows)
                throw new InvalidOperationException($"input '{name}': {entry.Rows} of {rows} rows arrived (rows {start}..{start + rows - 1}).");
        }
        return expected.Select(n => staged[n].Tensor).ToArray();
    }

    public void Dispose()
    {
        foreach (var entry in staged.Values) entry.Tensor.Dispose();
        staged.Clear();
    }

    private sealed class Staged(Tensor tensor, HashSet<long> rowStarts)
    {
        public Tensor Tensor { get; } = tensor;

        public HashSet<long> RowStarts { get; } = rowStarts;

        public long Rows { get; set; }
    }
}
