using System.Diagnostics;
using DistributedAttention.Contracts;
using static TorchSharp.torch;

namespace DistributedAttention.Experiments;

/// <summary>One mechanism's forward at one length on one device.</summary>
/// <param name="Length">Tokens.</param>
/// <param name="TokensPerSecond">n over the median wall time of the timed forwards.</param>
/// <param name="PeakBytes">The most resident memory above the inputs during the forwards, or null where not measurable.</param>
/// <param name="Skipped">Why it was not measured (full attention past the preset's limit), or null.</param>
public sealed record ForwardMeasurement(long Length, double? TokensPerSecond, long? PeakBytes, string? Skipped = null)
{
    /// <summary>
    /// Times <see cref="Core.Attention.Attention.Forward"/> of <paramref name="spec"/> over random q, k, v of (1, heads, n, d):
    /// one untimed forward, then <paramref name="repeats"/> timed ones; memory is the high-water mark above
    /// the resident size after the inputs were made.
    /// </summary>
    public static ForwardMeasurement Measure(AttentionSpec spec, long n, int heads, int headDim, int repeats)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)n);
        var q = randn(1, heads, n, headDim, generator: generator);
        var k = randn(1, heads, n, headDim, generator: generator);
        var v = randn(1, heads, n, headDim, generator: generator);
        var resettable = PeakMemory.Reset();
        var baseline = PeakMemory.CurrentBytes();
        using (Core.Attention.Attention.Forward(spec, q, k, v))
        {
        }
        var seconds = new List<double>();
        for (var r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            using (Core.Attention.Attention.Forward(spec, q, k, v))
            {
            }
            seconds.Add(clock.Elapsed.TotalSeconds);
        }
        var peak = resettable && baseline is { } b && PeakMemory.PeakBytes() is { } p ? Math.Max(0, p - b) : (long?)null;
        seconds.Sort();
        return new ForwardMeasurement(n, n / seconds[seconds.Count / 2], peak);
    }
}
