using System.Runtime.InteropServices;
using DistributedAttention.Client;

namespace DistributedAttention.Testing;

/// <summary>
/// Keeps a model job's hidden states in memory as one row-major (n, d_model) fp32 array, for
/// callers that use them in-process (small jobs, tests) rather than writing a file.
/// </summary>
public sealed class InMemoryHiddenStates : IModelOutputSink
{
    private int modelDim;

    /// <summary>The hidden states, row-major (n, d_model); empty until the job's output begins.</summary>
    public float[] Data { get; private set; } = [];

    /// <inheritdoc />
    public ValueTask BeginAsync(long rows, int modelDim, CancellationToken cancellationToken)
    {
        if (rows * modelDim > Array.MaxLength) throw new ArgumentException($"{rows} × {modelDim} hidden states do not fit one array; stream them to a file instead.");
        (Data, this.modelDim) = (new float[rows * modelDim], modelDim);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(long rowStart, long rows, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        MemoryMarshal.Cast<byte, float>(data.Span).CopyTo(Data.AsSpan((int)(rowStart * modelDim)));
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask CompleteAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
