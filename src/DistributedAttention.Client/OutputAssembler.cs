using DistributedAttention.Abstractions;
using static TorchSharp.torch;

namespace DistributedAttention.Client;

/// <summary>
/// Checks streamed output chunks (name, order, shape, byte count) and, for outputs small enough
/// to hold, copies them into one tensor.
/// </summary>
internal sealed class OutputAssembler : IDisposable
{
    private readonly string name;
    private readonly long[] shape;
    private readonly int sequenceDim;
    private Tensor? target;

    /// <summary>Expects output <paramref name="name"/> of <paramref name="shape"/>, split along <paramref name="sequenceDim"/>.</summary>
    public OutputAssembler(string name, long[] shape, int sequenceDim)
    {
        this.name = name;
        this.shape = shape;
        this.sequenceDim = sequenceDim;
    }

    /// <summary>Rows received so far.</summary>
    public long Rows { get; private set; }

    /// <summary>Validates <paramref name="chunk"/> as the next block and returns its row count.</summary>
    /// <exception cref="InvalidDataException">The chunk is out of order or does not fit the expected shape; the message says how.</exception>
    public long Check(TensorChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        string Where() => $"output '{name}' chunk at row {chunk.RowStart} with shape {AttentionShape.Format(chunk.Shape)}";
        if (chunk.Name != name) throw new InvalidDataException($"{Where()} is named '{chunk.Name}'.");
        var (chunkShape, dim) = DropLeadingOnes(chunk.Shape, chunk.SequenceDim);
        var (fullShape, fullDim) = DropLeadingOnes(shape, sequenceDim);
        if (dim < 0 || dim >= chunkShape.Length || dim != fullDim || chunkShape.Length != fullShape.Length
            || chunkShape.Where((s, i) => i != dim && s != fullShape[i]).Any())
        {
            throw new InvalidDataException($"{Where()} (sequence dim {chunk.SequenceDim}) does not match the expected {AttentionShape.Format(shape)} split along dim {sequenceDim}.");
        }
        var rows = chunkShape[dim];
        if (chunk.RowStart != Rows) throw new InvalidDataException($"{Where()} is out of order: {Rows} rows have arrived, so the next chunk must start at row {Rows}.");
        if (rows < 1 || Rows + rows > shape[sequenceDim]) throw new InvalidDataException($"{Where()} runs past the {shape[sequenceDim]} rows of the output.");
        var bytes = chunk.Shape.Aggregate(1L, (a, b) => a * b) * sizeof(float);
        if (chunk.Data.LongLength != bytes) throw new InvalidDataException($"{Where()} carries {chunk.Data.LongLength} bytes, not {bytes}.");
        Rows += rows;
        return rows;
    }

    /// <summary>Checks <paramref name="chunk"/> and copies it into the assembled tensor.</summary>
    public void Add(TensorChunk chunk)
    {
        var rowStart = Rows;
        var rows = Check(chunk);
        target ??= zeros(shape, dtype: ScalarType.Float32);
        using var source = empty(chunk.Shape, dtype: ScalarType.Float32);
        chunk.Data.CopyTo(source.bytes);
        using var reshaped = source.reshape(ShapeWithRows(rows));
        using var destination = target.narrow(sequenceDim, rowStart, rows);
        destination.copy_(reshaped);
    }

    /// <summary>The assembled tensor (ownership passes to the caller), or <c>null</c> when no chunk arrived.</summary>
    /// <exception cref="InvalidDataException">Some rows arrived but not all.</exception>
    public Tensor? Finish()
    {
        if (Rows == 0) return null;
        if (Rows != shape[sequenceDim]) throw new InvalidDataException($"output '{name}' ended after {Rows} of its {shape[sequenceDim]} rows.");
        var result = target;
        target = null;
        return result;
    }

    /// <inheritdoc />
    public void Dispose() => target?.Dispose();

    private long[] ShapeWithRows(long rows)
    {
        var result = (long[])shape.Clone();
        result[sequenceDim] = rows;
        return result;
    }

    // (1, rows, d) with sequence dim 1 and (rows, d) with sequence dim 0 describe the same block.
    private static (long[] Shape, int Dim) DropLeadingOnes(long[] shape, int dim)
    {
        if (dim < 0 || dim >= shape.Length) return (shape, dim);
        var skip = 0;
        while (skip < dim && shape[skip] == 1) skip++;
        return (shape[skip..], dim - skip);
    }
}
