using System.Diagnostics;
using DistributedAttention.Client;

namespace DistributedAttention.Pipeline;

/// <summary>Passes hidden states through to another sink and measures how long the download took.</summary>
internal sealed class TimedSink(IModelOutputSink inner) : IModelOutputSink
{
    private readonly Stopwatch clock = new();

    /// <summary>Seconds from the first call to completion.</summary>
    public double Seconds => clock.Elapsed.TotalSeconds;

    public ValueTask BeginAsync(long rows, int modelDim, CancellationToken cancellationToken)
    {
        clock.Start();
        return inner.BeginAsync(rows, modelDim, cancellationToken);
    }

    public ValueTask WriteAsync(long rowStart, long rows, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        inner.WriteAsync(rowStart, rows, data, cancellationToken);

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        await inner.CompleteAsync(cancellationToken).ConfigureAwait(false);
        clock.Stop();
    }
}
