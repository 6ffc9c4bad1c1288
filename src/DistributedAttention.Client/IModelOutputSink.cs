namespace DistributedAttention.Client;

/// <summary>
/// Receives a model job's hidden states in sequence order, a block of rows at a time, so a
/// book's worth of (n, d_model) states never has to sit in memory at once.
/// </summary>
public interface IModelOutputSink
{
    /// <summary>Called once before any rows: the output will be <paramref name="rows"/> × <paramref name="modelDim"/> fp32.</summary>
    ValueTask BeginAsync(long rows, int modelDim, CancellationToken cancellationToken);

    /// <summary>Rows <paramref name="rowStart"/> .. rowStart + <paramref name="rows"/> − 1, fp32 little-endian, row-major; blocks arrive in order without gaps.</summary>
    ValueTask WriteAsync(long rowStart, long rows, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Called once after the last row.</summary>
    ValueTask CompleteAsync(CancellationToken cancellationToken);
}
