using System.Diagnostics;
using static TorchSharp.torch;

namespace DistributedAttention.Benchmarks;

/// <summary>Timing helpers. Each figure is the best of a few runs after a warm-up.</summary>
internal static class Measure
{
    public static double BestSeconds(Action run, int repeats)
    {
        run();
        BenchDevice.Synchronize();
        var best = double.MaxValue;
        for (var i = 0; i < repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            run();
            BenchDevice.Synchronize();
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }
        return best;
    }

    /// <summary>
    /// fp32 matmul GFLOP/s on the benchmark's device: the roof every efficiency figure is compared
    /// with. 2048² on a CPU; 8192² on a GPU, where 2048² is too small to fill it.
    /// </summary>
    public static double MatmulGflops()
    {
        long size = BenchDevice.IsCuda ? 8192 : 2048;
        using var a = randn(size, size, device: BenchDevice.Current);
        using var b = randn(size, size, device: BenchDevice.Current);
        var seconds = BestSeconds(() => { using var c = a.matmul(b); }, 5);
        return 2.0 * size * size * size / seconds / 1e9;
    }

    /// <summary>The median (the mean of the middle two for an even count); NaN when empty.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
