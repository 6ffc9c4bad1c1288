using System.Globalization;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Model;
using static TorchSharp.torch;

namespace DistributedAttention.Benchmarks;

/// <summary>
/// Where one layer of the default book model spends its time and memory, on one device: the three
/// steps of a layer (norm + q/k/v projections + RoPE, window attention, o-projection + norm + FFN),
/// each timed on one shard's rows with its useful GFLOP/s against the same-run matmul, the page
/// faults it causes and the peak memory it adds; at 1 and 2 libtorch threads.
/// </summary>
internal static class ModelSuite
{
    public static void Run(int rows, int repeats, int globalCount = 0)
    {
        // Global tokens spread over the rows, as a book's chapter starts are (the book job has 67).
        var globals = Enumerable.Range(0, globalCount).Select(i => (long)i * rows / Math.Max(globalCount, 1)).ToArray();
        // The defaults of `distattn process`: d_model 64, 4 heads, FFN 256, window ±128.
        const int d = 64, heads = 4, ffnDim = 256, half = 128;
        var options = new TransformerOptions
        {
            VocabSize = 50_257, ModelDim = d, Heads = heads, Layers = 1, FeedForwardDim = ffnDim, Seed = 1,
            LayerAttention = TransformerOptions.Uniform(new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = half, WindowRight = half, GlobalPositions = globals }, 1),
        };
        using var model = new TransformerModel(options, BenchDevice.Current);
        var layer = model.Layers[0];
        using var x = randn(1, rows, d, device: BenchDevice.Current);
        long pairs = rows * (2L * half + 1) - half * (half + 1L);
        Console.WriteLine();
        Console.WriteLine($"rows {rows:N0}, d_model {d}, {heads} heads, FFN {ffnDim}, window ±{half}, {globalCount} global tokens; peak RSS at start {Proc.PeakRss() >> 20} MiB");
        Console.WriteLine("| threads | step | seconds | share | useful GFLOP/s | matmul GFLOP/s (same run) | ratio | minor faults | faulted MiB |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        // On a GPU the CPU thread count does not matter: one pass.
        foreach (var threads in BenchDevice.IsCuda ? [get_num_threads()] : new[] { 1, 2 })
        {
            set_num_threads(threads);
            var matmul = Measure.MatmulGflops();
            Qkv? qkv = null;
            AttentionResult? attention = null;
            var steps = new (string Name, double Flops, Action Run)[]
            {
                ("norm, q/k/v, RoPE", 6.0 * d * d * rows, () => { qkv?.Dispose(); qkv = layer.ProjectQkv(x, 0); }),
                ("window attention", 4.0 * d * pairs, () => { attention?.Dispose(); attention = SingleDeviceAttention.Forward(layer.AttentionStepSpec, qkv!.Q, qkv.K, qkv.V); }),
                ("o-proj, norm, FFN", (2.0 * d * d + 4.0 * d * ffnDim) * rows, () => { using var y = layer.Finish(x, attention!.Output); }),
            };
            var results = steps.Select(step =>
            {
                var faults = Proc.MinorFaults();
                var seconds = Measure.BestSeconds(step.Run, repeats);
                // Faults per run: the warm-up and the repeats all ran the step.
                var perRun = (Proc.MinorFaults() - faults) / (repeats + 1.0);
                return (step.Name, step.Flops, seconds, perRun);
            }).ToList();
            var total = results.Sum(r => r.seconds);
            foreach (var (name, flops, seconds, perRun) in results)
            {
                var gflops = flops / seconds / 1e9;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {threads} | {name} | {seconds:F3} | {seconds / total:P0} | {gflops:F1} | {matmul:F1} | {gflops / matmul:P0} | {perRun:N0} | {perRun * 4096 / (1 << 20):N0} |"));
            }
            var layerFlops = results.Sum(r => r.Flops);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {threads} | layer | {total:F3} | 100 % | {layerFlops / total / 1e9:F1} | {matmul:F1} | {layerFlops / total / 1e9 / matmul:P0} | | |"));
            qkv?.Dispose();
            attention?.Dispose();
        }
        Console.WriteLine($"peak RSS at the end {Proc.PeakRss() >> 20} MiB");
    }

    /// <summary>This process's counters from /proc.</summary>
    private static class Proc
    {
        public static long MinorFaults() => long.Parse(File.ReadAllText("/proc/self/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[7], CultureInfo.InvariantCulture);

        public static long PeakRss()
        {
            var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
    }
}
