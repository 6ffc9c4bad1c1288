using System.Diagnostics;
using static TorchSharp.torch;

namespace DistributedAttention.Benchmarks;

/// <summary>Timing helpers. Each figure is the best of a few runs after a warm-up.</summary>
internal static class Measure
{
    public static double BestSeconds(Action run, int repeats)
    {
        run();
        var best = double.MaxValue;
        for (var i = 0; i < repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            run();
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }
        return best;
    }

    /// <summary>fp32 2048² matmul GFLOP/s: the roof every efficiency figure is compared with.</summary>
    public static double MatmulGflops()
    {
        using var a = randn(2048, 2048);
        using var b = randn(2048, 2048);
        var seconds = BestSeconds(() => { using var c = a.matmul(b); }, 5);
        return 2.0 * 2048 * 2048 * 2048 / seconds / 1e9;
    }
}
