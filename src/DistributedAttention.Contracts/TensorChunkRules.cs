namespace DistributedAttention.Contracts;

/// <summary>
/// The rules every <see cref="TensorChunk"/> follows, shared by the tensor side (shards) and the
/// host side (clients): element sizes, how many rows fit a chunk, and whether a chunk fits its
/// target tensor. Each failure names the chunk and what is wrong with it.
/// </summary>
public static class TensorChunkRules
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(ElementType type) => type switch
    {
        ElementType.Float64 or ElementType.Int64 => 8,
        ElementType.Float32 or ElementType.Int32 => 4,
        ElementType.Float16 or ElementType.BFloat16 or ElementType.Int16 => 2,
        ElementType.Int8 or ElementType.UInt8 or ElementType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown element type."),
    };

    /// <summary>The element type a wire type puts on the wire.</summary>
    public static ElementType Of(WireDType wire) => wire switch
    {
        WireDType.Float32 => ElementType.Float32,
        WireDType.Float16 => ElementType.Float16,
        WireDType.BFloat16 => ElementType.BFloat16,
        _ => throw new ArgumentOutOfRangeException(nameof(wire), wire, "unknown wire element type."),
    };

    /// <summary>Whole rows per chunk so that one chunk stays within <paramref name="chunkBytes"/>; at least one.</summary>
    public static long RowsPerChunk(long rowBytes, long chunkBytes) => Math.Max(1, chunkBytes / Math.Max(1, rowBytes));

    /// <summary>Number of elements of a shape.</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static long Elements(IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"shape {Format(shape)} has a negative dimension.", nameof(shape));
            n = checked(n * d);
        }
        return n;
    }

    /// <summary>
    /// Checks that <paramref name="chunk"/> is a block of a tensor of <paramref name="shape"/>
    /// whose first row is at absolute position <paramref name="start"/>, split along
    /// <paramref name="sequenceDim"/>, in element type <paramref name="type"/>; returns the
    /// chunk's offset in rows from the target's first row. Leading dimensions of size 1 may be
    /// dropped on either side: (1, rows, d) along dim 1 and (rows, d) along dim 0 are the same block.
    /// </summary>
    /// <exception cref="ArgumentException">The chunk does not fit; the message names the chunk and the problem.</exception>
    public static long Check(TensorChunk chunk, IReadOnlyList<long> shape, int sequenceDim, long start, ElementType type)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        ArgumentNullException.ThrowIfNull(shape);
        string Where() => $"chunk '{chunk.Name}' at row {chunk.RowStart} with shape {Format(chunk.Shape)}";
        if (chunk.Shape is null || chunk.Data is null) throw new ArgumentException($"chunk '{chunk.Name}' has no shape or no data.");
        if (chunk.Type != type) throw new ArgumentException($"{Where()} holds {chunk.Type} elements; {type} expected.");
        var (blockShape, blockDim) = DropLeadingOnes(chunk.Shape, chunk.SequenceDim);
        var (fullShape, fullDim) = DropLeadingOnes(shape, sequenceDim);
        if (blockDim < 0 || blockDim >= blockShape.Length || blockDim != fullDim || blockShape.Length != fullShape.Length
            || blockShape.Where((s, i) => i != blockDim && s != fullShape[i]).Any())
        {
            throw new ArgumentException($"{Where()} (sequence dim {chunk.SequenceDim}) is not a block of {Format(shape)} split along dim {sequenceDim}.");
        }
        var rows = blockShape[blockDim];
        var offset = chunk.RowStart - start;
        if (rows < 0 || offset < 0 || offset + rows > shape[sequenceDim])
            throw new ArgumentException($"{Where()} falls outside rows {start}..{start + shape[sequenceDim] - 1}.");
        var bytes = Elements(chunk.Shape) * ElementSize(type);
        if (chunk.Data.LongLength != bytes) throw new ArgumentException($"{Where()} carries {chunk.Data.LongLength} bytes; {Format(chunk.Shape)} of {type} needs {bytes}.");
        return offset;
    }

    /// <summary>"(a, b, c)".</summary>
    public static string Format(IReadOnlyList<long> shape) => "(" + string.Join(", ", shape ?? []) + ")";

    private static (long[] Shape, int Dim) DropLeadingOnes(IReadOnlyList<long> shape, int dim)
    {
        if (dim < 0 || dim >= shape.Count) return ([.. shape], dim);
        var skip = 0;
        while (skip < dim && shape[skip] == 1) skip++;
        return ([.. shape.Skip(skip)], dim - skip);
    }
}
