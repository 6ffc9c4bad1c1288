using System.Globalization;

namespace DistributedAttention.Benchmarks;

/// <summary>
/// Window attention at small head dims (16, 32: what models with small heads use, the book model
/// has 16) next to 64, at the same model width (heads × head dim = 512), against the same-run matmul.
/// </summary>
internal static class HeadDimSuite
{
    private const int Width = 512;

    public static void Run(int log2)
    {
        Console.WriteLine();
        Console.WriteLine("| head dim | heads | window | n | seconds | useful GFLOP/s | matmul GFLOP/s (same run) | ratio |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var headDim in new[] { 16, 32, 64 })
        {
            var heads = Width / headDim;
            foreach (var window in WindowSuite.Windows)
            {
                var matmul = Measure.MatmulGflops();
                var seconds = WindowSuite.Seconds(window, log2, heads, headDim);
                var gflops = WindowSuite.UsefulFlops(window, 1L << log2, heads, headDim) / seconds / 1e9;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {headDim} | {heads} | {window} (±{window / 2}) | 2^{log2} | {seconds:F3} | {gflops:F1} | {matmul:F1} | {gflops / matmul:P0} |"));
            }
        }
    }
}
