using DistributedAttention.Abstractions;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Shards;

/// <summary>
/// Cuts a tensor into <see cref="TensorChunk"/> row blocks along its sequence dimension (each at
/// most a given number of bytes) and writes chunks back into a tensor.
/// </summary>
public static class TensorChunks
{
    /// <summary>Row blocks of <paramref name="tensor"/> (fp32 or int32), each ≤ <paramref name="chunkBytes"/> unless one row is larger.</summary>
    /// <param name="name">Tensor name carried by every chunk.</param>
    /// <param name="tensor">The tensor (any device).</param>
    /// <param name="sequenceDim">Its sequence dimension.</param>
    /// <param name="rowStart">Absolute position of its first row.</param>
    /// <param name="chunkBytes">Largest payload per chunk.</param>
    public static IEnumerable<TensorChunk> Split(string name, Tensor tensor, int sequenceDim, long rowStart, int chunkBytes)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var rows = tensor.shape[sequenceDim];
        var rowBytes = Math.Max(1, tensor.NumberOfElements / Math.Max(rows, 1) * tensor.ElementSize);
        var perChunk = Math.Max(1, chunkBytes / rowBytes);
        for (long r = 0; r < rows || (r == 0 && rows == 0); r += perChunk)
        {
            var count = Math.Min(perChunk, rows - r);
            yield return Chunk(name, tensor, sequenceDim, rowStart, r, count);
            if (rows == 0) yield break;
        }
    }

    /// <summary>One chunk of rows [first, first + count) of <paramref name="tensor"/>.</summary>
    public static TensorChunk Chunk(string name, Tensor tensor, int sequenceDim, long rowStart, long first, long count)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var scope = NewDisposeScope();
        var block = tensor.narrow(sequenceDim, first, count).cpu().contiguous();
        return new TensorChunk(name, sequenceDim, rowStart + first, block.shape, block.bytes.ToArray());
    }

    /// <summary>
    /// Copies <paramref name="chunk"/> into <paramref name="target"/> (whose first row is at
    /// <paramref name="targetStart"/>); returns the rows written.
    /// </summary>
    /// <exception cref="ArgumentException">The chunk does not fit the target.</exception>
    public static long CopyInto(TensorChunk chunk, Tensor target, long targetStart)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        ArgumentNullException.ThrowIfNull(target);
        var dim = chunk.SequenceDim;
        if (dim < 0 || dim >= target.dim() || chunk.Shape.Length != target.dim())
            throw new ArgumentException($"chunk '{chunk.Name}' has shape [{string.Join(", ", chunk.Shape)}] (sequence dim {dim}); expected {target.dim()} dims like [{string.Join(", ", target.shape)}].");
        for (var d = 0; d < target.dim(); d++)
        {
            if (d != dim && chunk.Shape[d] != target.shape[d])
                throw new ArgumentException($"chunk '{chunk.Name}' has shape [{string.Join(", ", chunk.Shape)}]; dim {d} must be {target.shape[d]} like [{string.Join(", ", target.shape)}].");
        }
        var rows = chunk.Shape[dim];
        var offset = chunk.RowStart - targetStart;
        if (offset < 0 || offset + rows > target.shape[dim])
            throw new ArgumentException($"chunk '{chunk.Name}' rows {chunk.RowStart}..{chunk.RowStart + rows - 1} fall outside this shard's rows {targetStart}..{targetStart + target.shape[dim] - 1}.");
        var expectedBytes = chunk.Shape.Aggregate(1L, (a, b) => a * b) * target.ElementSize;
        if (chunk.Data.LongLength != expectedBytes)
            throw new ArgumentException($"chunk '{chunk.Name}' carries {chunk.Data.LongLength} bytes; shape [{string.Join(", ", chunk.Shape)}] of {target.dtype} needs {expectedBytes}.");
        using var scope = NewDisposeScope();
        var block = empty(chunk.Shape, dtype: target.dtype);
        block.bytes = chunk.Data;
        target.narrow(dim, offset, rows).copy_(block);
        return rows;
    }
}
