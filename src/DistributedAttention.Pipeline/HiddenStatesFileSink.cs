using DistributedAttention.Client;
using DistributedAttention.Formats;

namespace DistributedAttention.Pipeline;

/// <summary>
/// Streams a model job's hidden states into a safetensors file (tensor <see cref="TensorName"/>,
/// (n, d_model) fp32) and accumulates per-section means on the way, so neither the file nor the
/// chapter vectors need the whole output in memory. The file appears only on completion.
/// </summary>
public sealed class HiddenStatesFileSink : IModelOutputSink, IDisposable
{
    /// <summary>Name of the tensor in the file.</summary>
    public const string TensorName = "hidden";

    private readonly string path;
    private readonly IReadOnlyList<(long Start, long End)> sections;
    private readonly IReadOnlyDictionary<string, string>? metadata;
    private SafetensorsStreamWriter? writer;
    private SectionMeanAccumulator? means;
    private long expectedRows;
    private long nextRow;
    private bool completed;

    /// <summary>A sink writing to <paramref name="path"/>.</summary>
    /// <param name="path">The safetensors file to write.</param>
    /// <param name="sections">Token ranges [Start, End) whose mean states to collect (chapters); may be empty.</param>
    /// <param name="metadata">Strings for the file's <c>__metadata__</c>.</param>
    public HiddenStatesFileSink(string path, IReadOnlyList<(long Start, long End)> sections, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(sections);
        this.path = path;
        this.sections = sections;
        this.metadata = metadata;
    }

    /// <summary>The section means, available after completion.</summary>
    /// <exception cref="InvalidOperationException">The sink has not completed.</exception>
    public SectionMeanAccumulator SectionMeans => completed ? means! : throw new InvalidOperationException("the hidden states have not all arrived yet.");

    /// <inheritdoc />
    public ValueTask BeginAsync(long rows, int modelDim, CancellationToken cancellationToken)
    {
        if (writer is not null || completed) throw new InvalidOperationException("the sink has already begun.");
        foreach (var (start, end) in sections)
        {
            if (end > rows) throw new ArgumentException($"section [{start}, {end}) lies beyond the {rows} output rows.", nameof(rows));
        }
        means = new SectionMeanAccumulator(sections, modelDim);
        writer = new SafetensorsStreamWriter(path, [SafetensorsDeclaration.Float32(TensorName, rows, modelDim)], metadata);
        expectedRows = rows;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask WriteAsync(long rowStart, long rows, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var current = writer ?? throw new InvalidOperationException("BeginAsync must be called before rows arrive.");
        if (rowStart != nextRow) throw new InvalidDataException($"hidden-state rows must arrive in order: got a block at row {rowStart}, expected row {nextRow}.");
        if (rows < 0 || data.Length != rows * current.Tensors[0].Shape[1] * sizeof(float))
        {
            throw new InvalidDataException($"a block of {rows} rows at row {rowStart} holds {data.Length} bytes, not {rows} × {current.Tensors[0].Shape[1]} fp32 values.");
        }
        means!.Add(rowStart, data.Span);
        await current.WriteAsync(TensorName, data, cancellationToken).ConfigureAwait(false);
        nextRow += rows;
    }

    /// <inheritdoc />
    public ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        var current = writer ?? throw new InvalidOperationException("BeginAsync must be called before CompleteAsync.");
        if (nextRow != expectedRows) throw new InvalidDataException($"the job streamed {nextRow} hidden-state rows; {expectedRows} were expected.");
        current.Complete();
        current.Dispose();
        writer = null;
        completed = true;
        return ValueTask.CompletedTask;
    }

    /// <summary>Deletes the partial file if the output did not complete.</summary>
    public void Dispose()
    {
        writer?.Dispose();
        writer = null;
    }
}
