using System.Globalization;
using DistributedAttention.Core.Attention;
using static TorchSharp.torch;

namespace DistributedAttention.Benchmarks;

/// <summary>
/// bf16 against fp32 on the benchmark's device: the 2048² matmul, and window attention (8 heads of
/// 64, ±128 and ±256) with the same kernel fed bf16 tensors, its time and its error against the
/// fp32 result (max |Δ| over max |fp32|, and the mean |Δ|).
/// </summary>
internal static class Bf16Suite
{
    public static void Run(int log2)
    {
        Console.WriteLine();
        Console.WriteLine($"matmul 2048²: fp32 {Measure.MatmulGflops():F1} GFLOP/s, bf16 {MatmulGflops(ScalarType.BFloat16):F1} GFLOP/s");
        Console.WriteLine();
        Console.WriteLine("| window | n | fp32 s | bf16 s | fp32 / bf16 | bf16 max \\|Δ\\| / max \\|o\\| | bf16 mean \\|Δ\\| |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var window in WindowSuite.Windows)
        {
            var fp32 = WindowSuite.Seconds(window, log2);
            var bf16 = WindowSuite.Seconds(window, log2, dtype: ScalarType.BFloat16);
            var (max, mean) = Error(window, log2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {window} (±{window / 2}) | 2^{log2} | {fp32:F3} | {bf16:F3} | {fp32 / bf16:F2} | {max:E2} | {mean:E2} |"));
        }
    }

    private static double MatmulGflops(ScalarType dtype)
    {
        const long size = 2048;
        using var a = randn(size, size, dtype: dtype, device: BenchDevice.Current);
        using var b = randn(size, size, dtype: dtype, device: BenchDevice.Current);
        var seconds = Measure.BestSeconds(() => { using var c = a.matmul(b); }, 5);
        return 2.0 * size * size * size / seconds / 1e9;
    }

    private static (double Max, double Mean) Error(int window, int log2)
    {
        using var scope = NewDisposeScope();
        long n = 1L << log2;
        var (heads, d) = (WindowSuite.Heads, WindowSuite.HeadDim);
        var q = randn(1, heads, n, d, device: BenchDevice.Current);
        var k = randn(1, heads, n, d, device: BenchDevice.Current);
        var v = randn(1, heads, n, d, device: BenchDevice.Current);
        var spec = WindowSuite.Spec(window);
        var exact = SingleDeviceAttention.Forward(spec, q, k, v).Output;
        var low = SingleDeviceAttention.Forward(spec, q.to(ScalarType.BFloat16), k.to(ScalarType.BFloat16), v.to(ScalarType.BFloat16)).Output.to(ScalarType.Float32);
        var delta = (low - exact).abs();
        return (delta.max().item<float>() / exact.abs().max().item<float>(), delta.mean().item<float>());
    }
}
