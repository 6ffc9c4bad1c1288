using System.Globalization;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using static TorchSharp.torch;

namespace DistributedAttention.Benchmarks;

/// <summary>
/// Window attention (<c>SingleDeviceAttention.Forward</c>, Window kind) at 8 heads of 64, fp32, windows of 256
/// and 512 keys (±128, ±256), against the same-run matmul.
/// </summary>
internal static class WindowSuite
{
    public const int Heads = 8, HeadDim = 64;

    public static readonly int[] Windows = [256, 512];

    public static void Run(int minLog2, int maxLog2)
    {
        Console.WriteLine();
        Console.WriteLine("| window | n | seconds | tokens/s | useful GFLOP/s | matmul GFLOP/s (same run) | ratio |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var window in Windows)
        {
            var times = new Dictionary<int, double>();
            for (var log2 = minLog2; log2 <= maxLog2; log2++)
            {
                long n = 1L << log2;
                var matmul = Measure.MatmulGflops();
                var seconds = Seconds(window, log2);
                times[log2] = seconds;
                var gflops = UsefulFlops(window, n) / seconds / 1e9;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {window} (±{window / 2}) | 2^{log2} | {seconds:F3} | {n / seconds:N0} | {gflops:F1} | {matmul:F1} | {gflops / matmul:P0} |"));
            }
            if (times.ContainsKey(20) && times.ContainsKey(17))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {window} | time(2^20)/time(2^17) | {times[20] / times[17]:F2} | | | | |"));
        }
    }

    /// <summary>Best seconds of one forward at n = 2^log2 on the benchmark's device (one repetition from 2^19).</summary>
    public static double Seconds(int window, int log2, int heads = Heads, int headDim = HeadDim, ScalarType dtype = ScalarType.Float32)
    {
        long n = 1L << log2;
        using var q = randn(1, heads, n, headDim, dtype: dtype, device: BenchDevice.Current);
        using var k = randn(1, heads, n, headDim, dtype: dtype, device: BenchDevice.Current);
        using var v = randn(1, heads, n, headDim, dtype: dtype, device: BenchDevice.Current);
        return Measure.BestSeconds(() => { using var r = SingleDeviceAttention.Forward(Spec(window), q, k, v); }, log2 >= 19 ? 1 : 3);
    }

    /// <summary>A bidirectional window of <paramref name="window"/> keys (±window/2).</summary>
    public static AttentionSpec Spec(int window) => new() { Kind = AttentionKind.Window, WindowLeft = window / 2, WindowRight = window / 2 };

    /// <summary>2·d for QKᵀ and 2·d for PV per visible (query, key) pair, edges counted exactly.</summary>
    public static double UsefulFlops(int window, long n, int heads = Heads, int headDim = HeadDim)
    {
        long half = window / 2;
        var pairs = n * (window + 1L) - half * (half + 1L);
        return 4.0 * heads * headDim * pairs;
    }
}
