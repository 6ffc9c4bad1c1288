using System.Diagnostics;
using DistributedAttention.Core.Runtime;
using static TorchSharp.torch;

namespace DistributedAttention.Model;

/// <summary>
/// The fp32 matmul rate of this process's device: the roof a layer's useful GFLOP/s is compared
/// with (<see cref="Contracts.LayerFlops"/>). A 1024² product, best of five after a warm-up: about 0.1 s on
/// a CPU, so a job's summary can afford it. On a CPU it uses every core, whatever share silos in
/// this process were given.
/// </summary>
public static class MatmulRoof
{
    private const int Size = 1024;

    /// <summary>GFLOP/s of a (1024 × 1024) · (1024 × 1024) fp32 matmul on <paramref name="device"/> (default: the CPU).</summary>
    public static double MeasureGflops(Device? device = null) => ComputeThreads.OnEveryCore(() => Measure(device));

    private static double Measure(Device? device)
    {
        using var scope = NewDisposeScope();
        var a = randn(Size, Size, device: device);
        var b = randn(Size, Size, device: device);
        a.matmul(b).Dispose();
        var best = double.MaxValue;
        for (var i = 0; i < 5; i++)
        {
            var clock = Stopwatch.StartNew();
            using (var c = a.matmul(b)) c.sum().item<float>();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return 2.0 * Size * Size * Size / best / 1e9;
    }
}
