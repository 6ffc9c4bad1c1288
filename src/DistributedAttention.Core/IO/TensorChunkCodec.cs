using DistributedAttention.Contracts;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.IO;

/// <summary>
/// The one codec between tensors and <see cref="TensorChunk"/>s: row blocks of a tensor along
/// its sequence dimension (inputs, outputs, recovery copies) and pieces of a flattened tensor
/// (ring messages), in any <see cref="ElementType"/>, and back. The fit of a chunk to its target
/// is checked by the same <see cref="TensorChunkRules"/> the torch-free client uses.
/// </summary>
public static class TensorChunkCodec
{
    /// <summary>The TorchSharp element type of a chunk element type.</summary>
    public static ScalarType ScalarTypeOf(ElementType type) => ScalarTypes.Of(type);

    /// <summary>
    /// Row blocks of <paramref name="tensor"/> (any device and dtype) along
    /// <paramref name="sequenceDim"/>, from row <paramref name="fromRow"/> on, each at most
    /// <paramref name="chunkBytes"/> in <paramref name="type"/> unless one row is larger. The
    /// tensor's first row is at absolute position <paramref name="rowStart"/>. Each chunk's bytes
    /// are made when it is enumerated; the caller keeps the tensor.
    /// </summary>
    public static IEnumerable<TensorChunk> Split(Tensor tensor, string name, int sequenceDim, long rowStart, int chunkBytes, ElementType type, long fromRow = 0)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var rows = tensor.shape[sequenceDim];
        var rowBytes = tensor.NumberOfElements / Math.Max(rows, 1) * TensorChunkRules.ElementSize(type);
        var step = TensorChunkRules.RowsPerChunk(rowBytes, chunkBytes);
        for (var r = Math.Max(0, fromRow); r < rows; r += step)
        {
            yield return Chunk(tensor, name, sequenceDim, rowStart, r, Math.Min(step, rows - r), type);
        }
    }

    /// <summary>Rows [first, first + count) of <paramref name="tensor"/> as one chunk in <paramref name="type"/>.</summary>
    public static TensorChunk Chunk(Tensor tensor, string name, int sequenceDim, long rowStart, long first, long count, ElementType type)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var scope = NewDisposeScope();
        // Convert on the tensor's device first: a GPU then ships half the bytes to the host for fp16/bf16.
        var block = tensor.detach().narrow(sequenceDim, first, count).to(ScalarTypeOf(type)).cpu().contiguous();
        return new TensorChunk(name, sequenceDim, rowStart + first, block.shape, type, block.bytes.ToArray());
    }

    /// <summary>
    /// Copies <paramref name="chunk"/>, a block of <paramref name="expected"/> elements, into
    /// <paramref name="target"/> (whose first row along <paramref name="sequenceDim"/> is at
    /// absolute position <paramref name="targetStart"/>), converting to the target's dtype.
    /// </summary>
    /// <returns>The rows written.</returns>
    /// <exception cref="ArgumentException">The chunk does not fit the target; the message says how.</exception>
    public static long CopyInto(TensorChunk chunk, Tensor target, int sequenceDim, long targetStart, ElementType expected)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        ArgumentNullException.ThrowIfNull(target);
        var offset = TensorChunkRules.Check(chunk, target.shape, sequenceDim, targetStart, expected);
        // Rows are the chunk's elements over one target row's (leading dimensions of 1 may differ).
        var perRow = TensorChunkRules.Elements(RowShape(target.shape, sequenceDim, 1));
        var rows = perRow == 0 ? 0 : TensorChunkRules.Elements(chunk.Shape) / perRow;
        if (rows == 0) return 0;
        using var scope = NewDisposeScope();
        var region = target.narrow(sequenceDim, offset, rows);
        if (region.device_type == DeviceType.CPU && region.dtype == ScalarTypeOf(chunk.Type) && region.is_contiguous())
        {
            // Rows of the first dimension (ring pieces, model rows): the bytes go straight into place.
            chunk.Data.CopyTo(region.bytes);
            return rows;
        }
        var block = empty(chunk.Shape, dtype: ScalarTypeOf(chunk.Type));
        chunk.Data.CopyTo(block.bytes);
        region.copy_(block.reshape(RowShape(target.shape, sequenceDim, rows)));
        return rows;
    }

    /// <summary>
    /// <paramref name="tensor"/> as pieces of its flattened form, each at most
    /// <paramref name="chunkBytes"/> in <paramref name="type"/>; a tensor with no elements is one
    /// empty piece. The pieces own copies of the data; the caller keeps the tensor.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunkBytes"/> is smaller than one element.</exception>
    public static IReadOnlyList<TensorChunk> EncodeFlat(Tensor tensor, string name, ElementType type, int chunkBytes)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var size = TensorChunkRules.ElementSize(type);
        if (chunkBytes < size) throw new ArgumentOutOfRangeException(nameof(chunkBytes), chunkBytes, $"a chunk must hold at least one {type} element ({size} bytes).");
        using var scope = NewDisposeScope();
        var flat = tensor.detach().to(ScalarTypeOf(type)).cpu().contiguous().reshape(-1);
        if (flat.shape[0] == 0) return [new TensorChunk(name, 0, 0, [0], type, [])];
        return [.. Split(flat, name, 0, 0, chunkBytes, type)];
    }

    /// <summary>
    /// The tensor of <paramref name="shape"/> whose flattened pieces are <paramref name="pieces"/>
    /// (any order), as a new CPU tensor the caller owns: int32 for int32 pieces, fp32 otherwise.
    /// </summary>
    /// <exception cref="ArgumentException">Pieces are missing, overlap, or disagree with the shape.</exception>
    public static Tensor DecodeFlat(IReadOnlyList<TensorChunk> pieces, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        ArgumentNullException.ThrowIfNull(shape);
        if (pieces.Count == 0) throw new ArgumentException("no pieces to decode.", nameof(pieces));
        var elements = TensorChunkRules.Elements(shape);
        var type = pieces[0].Type;
        using var scope = NewDisposeScope();
        var flat = empty(elements, dtype: ScalarTypeOf(type));
        long covered = 0;
        foreach (var piece in pieces.OrderBy(p => p.RowStart))
        {
            if (piece.Type != type) throw new ArgumentException($"piece at element {piece.RowStart} is {piece.Type}; the others are {type}.", nameof(pieces));
            if (piece.RowStart != covered) throw new ArgumentException($"piece at element {piece.RowStart} does not follow the elements before it (0..{covered - 1}): pieces are missing or repeated.", nameof(pieces));
            covered += CopyInto(piece, flat, 0, 0, type);
        }
        if (covered != elements) throw new ArgumentException($"the pieces hold {covered} of the {elements} elements of {TensorChunkRules.Format(shape)}.", nameof(pieces));
        var result = type is ElementType.Float32 or ElementType.Int32 ? flat.reshape(shape) : flat.to(ScalarType.Float32).reshape(shape);
        return result.MoveToOuterDisposeScope();
    }

    private static long[] RowShape(long[] shape, int sequenceDim, long rows)
    {
        var result = (long[])shape.Clone();
        result[sequenceDim] = rows;
        return result;
    }
}
