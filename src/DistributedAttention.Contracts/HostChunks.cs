using System.Runtime.InteropServices;

namespace DistributedAttention.Contracts;

/// <summary>
/// <see cref="TensorChunk"/>s of ordinary arrays: the host side of the chunk codec (the tensor
/// side is Core's TensorChunkCodec). A row block along a middle dimension of a row-major array
/// is gathered from, or scattered to, one contiguous run per outer index.
/// </summary>
public static class HostChunks
{
    /// <summary>Rows [<paramref name="start"/>, <paramref name="end"/>) of <paramref name="source"/> along <paramref name="sequenceDim"/> as fp32 chunks of at most <paramref name="chunkBytes"/>.</summary>
    /// <exception cref="ArgumentException">One row alone is larger than <paramref name="chunkBytes"/>.</exception>
    public static IEnumerable<TensorChunk> Split(HostTensor source, string name, int sequenceDim, long start, long end, int chunkBytes)
    {
        ArgumentNullException.ThrowIfNull(source);
        var (outer, _, inner) = Sizes(source.Shape, sequenceDim);
        var step = RowsPerChunk(outer * inner * sizeof(float), chunkBytes, name);
        for (var row = start; row < end; row += step)
        {
            var rows = Math.Min(step, end - row);
            yield return Gather(source, name, sequenceDim, row, rows);
        }
    }

    /// <summary>Token ids [<paramref name="start"/>, <paramref name="end"/>) as int32 chunks of shape (rows) of at most <paramref name="chunkBytes"/>, of the input named <paramref name="name"/>.</summary>
    public static IEnumerable<TensorChunk> SplitTokens(int[] tokenIds, long start, long end, int chunkBytes, string name = "tokens")
    {
        ArgumentNullException.ThrowIfNull(tokenIds);
        var step = RowsPerChunk(sizeof(int), chunkBytes, name);
        for (var row = start; row < end; row += step)
        {
            var rows = (int)Math.Min(step, end - row);
            var bytes = MemoryMarshal.AsBytes(tokenIds.AsSpan((int)row, rows)).ToArray();
            yield return new TensorChunk(name, 0, row, [rows], ElementType.Int32, bytes);
        }
    }

    /// <summary>Copies fp32 <paramref name="chunk"/> into its rows of <paramref name="target"/> (split along <paramref name="sequenceDim"/>); returns the rows written.</summary>
    /// <exception cref="ArgumentException">The chunk does not fit; the message says how.</exception>
    public static long Scatter(TensorChunk chunk, HostTensor target, int sequenceDim)
    {
        ArgumentNullException.ThrowIfNull(target);
        var offset = TensorChunkRules.Check(chunk, target.Shape, sequenceDim, 0, ElementType.Float32);
        var (outer, n, inner) = Sizes(target.Shape, sequenceDim);
        var rows = inner == 0 ? 0 : TensorChunkRules.Elements(chunk.Shape) / inner / Math.Max(outer, 1);
        var values = MemoryMarshal.Cast<byte, float>(chunk.Data);
        var run = (int)(rows * inner);
        for (long o = 0; o < outer; o++)
        {
            values.Slice((int)(o * run), run).CopyTo(target.Data.AsSpan((int)((o * n + offset) * inner), run));
        }
        return rows;
    }

    /// <summary>Whole rows per chunk so that one chunk stays within <paramref name="chunkBytes"/>.</summary>
    /// <exception cref="ArgumentException">One row alone is larger than <paramref name="chunkBytes"/>.</exception>
    public static long RowsPerChunk(long rowBytes, int chunkBytes, string name) =>
        rowBytes > chunkBytes
            ? throw new ArgumentException($"one row of '{name}' is {rowBytes} bytes, more than the chunk size of {chunkBytes} bytes; raise the chunk size.")
            : TensorChunkRules.RowsPerChunk(rowBytes, chunkBytes);

    private static TensorChunk Gather(HostTensor source, string name, int sequenceDim, long row, long rows)
    {
        var (outer, n, inner) = Sizes(source.Shape, sequenceDim);
        var shape = (long[])source.Shape.Clone();
        shape[sequenceDim] = rows;
        var run = (int)(rows * inner);
        var block = new float[checked(outer * run)];
        for (long o = 0; o < outer; o++)
        {
            source.Data.AsSpan((int)((o * n + row) * inner), run).CopyTo(block.AsSpan((int)(o * run), run));
        }
        return new TensorChunk(name, sequenceDim, row, shape, ElementType.Float32, MemoryMarshal.AsBytes(block.AsSpan()).ToArray());
    }

    /// <summary>Elements before, along and after the sequence dimension.</summary>
    private static (long Outer, long Rows, long Inner) Sizes(long[] shape, int sequenceDim)
    {
        if (sequenceDim < 0 || sequenceDim >= shape.Length) throw new ArgumentException($"dim {sequenceDim} is not a dimension of {TensorChunkRules.Format(shape)}.");
        return (TensorChunkRules.Elements(shape[..sequenceDim]), shape[sequenceDim], TensorChunkRules.Elements(shape[(sequenceDim + 1)..]));
    }
}
