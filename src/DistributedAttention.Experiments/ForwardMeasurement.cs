using System.Diagnostics;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using static TorchSharp.torch;

namespace DistributedAttention.Experiments;

/// <summary>One mechanism's forward at one length, on one device or on a cluster.</summary>
/// <param name="Length">Tokens.</param>
/// <param name="TokensPerSecond">n over the median wall time of the timed forwards.</param>
/// <param name="PeakBytes">The most resident memory above the inputs during the forwards, or null where not measurable.</param>
/// <param name="Skipped">Why it was not measured (full attention past the preset's limit), or null.</param>
public sealed record ForwardMeasurement(long Length, double? TokensPerSecond, long? PeakBytes, string? Skipped = null)
{
    /// <summary>
    /// Times <see cref="SingleDeviceAttention.Forward"/> of <paramref name="spec"/> over random q, k, v of (1, heads, n, d)
    /// (<see cref="Inputs"/>) on this thread.
    /// </summary>
    public static ForwardMeasurement Measure(AttentionSpec spec, long n, int heads, int headDim, int repeats)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using var scope = NewDisposeScope();
        var (q, k, v) = Inputs(n, heads, headDim);
        return Time(n, repeats, () =>
        {
            using (SingleDeviceAttention.Forward(spec, q, k, v))
            {
            }
        });
    }

    /// <summary>The random inputs of a measurement at n tokens: seeded by n, so every mechanism and place gets the same ones. The caller disposes them.</summary>
    public static (Tensor Q, Tensor K, Tensor V) Inputs(long n, int heads, int headDim)
    {
        using var generator = new Generator((ulong)n);
        return (randn(1, heads, n, headDim, generator: generator), randn(1, heads, n, headDim, generator: generator), randn(1, heads, n, headDim, generator: generator));
    }

    /// <summary>
    /// Runs <paramref name="forward"/> once untimed, then <paramref name="repeats"/> times timed; memory is
    /// the process's high-water mark above its resident size before the first run.
    /// </summary>
    public static ForwardMeasurement Time(long n, int repeats, Action forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        var resettable = PeakMemory.Reset();
        var baseline = PeakMemory.CurrentBytes();
        forward();
        var seconds = new List<double>();
        for (var r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            forward();
            seconds.Add(clock.Elapsed.TotalSeconds);
        }
        var peak = resettable && baseline is { } b && PeakMemory.PeakBytes() is { } p ? Math.Max(0, p - b) : (long?)null;
        seconds.Sort();
        return new ForwardMeasurement(n, n / seconds[seconds.Count / 2], peak);
    }
}
