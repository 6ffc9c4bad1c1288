using DistributedAttention.Benchmarks;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using static TorchSharp.torch;

// Usage: window [minLog2] [maxLog2] | full [minLog2] [maxLog2] | all | cluster [log2n] [reps] | tracing BOOK [maxTokens|all] [reps]
//        | model [rows] [reps] [globals] (one layer of the default book model, step by step)
//        | globals [keys] [G] [reps] (the rows of G global queries over every key)
//        | bandops [rows] [G] [threads] (the band kernel's time op by op)
// ("all" runs window and full; the cluster suite starts in-process silos and runs only when named.)
// Prints markdown rows; docs/benchmarks.md records them with the command.
try
{
    DistributedAttention.Core.Runtime.TorchRuntime.EnsureLoaded();
}
catch (DistributedAttention.Core.Runtime.TorchUnavailableException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 1;
}

var suite = args.Length > 0 ? args[0] : "all";
int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], System.Globalization.CultureInfo.InvariantCulture) : fallback;

Console.WriteLine($"threads: {get_num_threads()}, libtorch {__version__}");
if (suite is "window" or "all") WindowSuite(Arg(1, 14), Arg(2, 20));
if (suite is "full" or "all") FullSuite(Arg(1, 12), Arg(2, 15));
if (suite is "model") ModelSuite.Run(Arg(1, 405_390), Arg(2, 2), Arg(3, 0));
if (suite is "bandops") BandOpsSuite.Run(Arg(1, 405_390), Arg(2, 67), Arg(3, 2));
if (suite is "globals") GlobalRowsSuite.Run(Arg(1, 1_216_169), Arg(2, 67), Arg(3, 3));
if (suite is "cluster") await ClusterSuite.RunAsync(Arg(1, 18), Arg(2, 3));
if (suite is "tracing") await TracingSuite.RunAsync(args[1], args.Length > 2 && args[2] != "all" ? Arg(2, 0) : null, Arg(3, 3));
return 0;

static void WindowSuite(int minLog2, int maxLog2)
{
    const int heads = 8, d = 64;
    Console.WriteLine();
    Console.WriteLine("| window | n | seconds | tokens/s | useful GFLOP/s | matmul GFLOP/s (same run) | ratio |");
    Console.WriteLine("|---|---|---|---|---|---|---|");
    foreach (var window in new[] { 256, 512 })
    {
        var times = new Dictionary<int, double>();
        for (var log2 = minLog2; log2 <= maxLog2; log2++)
        {
            long n = 1L << log2;
            var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = window / 2, WindowRight = window / 2 };
            using var q = randn(1, heads, n, d);
            using var k = randn(1, heads, n, d);
            using var v = randn(1, heads, n, d);
            var matmul = Measure.MatmulGflops();
            var seconds = Measure.BestSeconds(() => { using var r = Attention.Forward(spec, q, k, v); }, log2 >= 19 ? 1 : 3);
            times[log2] = seconds;
            // Useful FLOPs: 2·d for QKᵀ and 2·d for PV per visible (query, key) pair, edges counted exactly.
            var half = window / 2;
            var pairs = n * (window + 1L) - half * (half + 1L);
            var gflops = 4.0 * heads * d * pairs / seconds / 1e9;
            Console.WriteLine($"| {window} (±{half}) | 2^{log2} | {seconds:F3} | {n / seconds:N0} | {gflops:F1} | {matmul:F1} | {gflops / matmul:P0} |");
        }
        if (times.ContainsKey(20) && times.ContainsKey(17))
            Console.WriteLine($"| {window} | time(2^20)/time(2^17) | {times[20] / times[17]:F2} | | | | |");
    }
}

static void FullSuite(int minLog2, int maxLog2)
{
    const int heads = 8, d = 64;
    Console.WriteLine();
    Console.WriteLine("| causal | n | ours (with lse) s | libtorch SDPA s | ours / SDPA | ours GFLOP/s |");
    Console.WriteLine("|---|---|---|---|---|---|");
    foreach (var causal in new[] { false, true })
    {
        for (var log2 = minLog2; log2 <= maxLog2; log2++)
        {
            long n = 1L << log2;
            using var q = randn(1, heads, n, d);
            using var k = randn(1, heads, n, d);
            using var v = randn(1, heads, n, d);
            var repeats = log2 >= 15 ? 1 : 3;
            var sdpa = Measure.BestSeconds(() => { using var o = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: causal); }, repeats);
            var ours = Measure.BestSeconds(() => { using var r = FullAttention.Forward(q, k, v, causal); }, repeats);
            var flops = 4.0 * heads * d * n * n * (causal ? 0.5 : 1.0);
            Console.WriteLine($"| {causal} | 2^{log2} | {ours:F3} | {sdpa:F3} | {ours / sdpa:F2} | {flops / ours / 1e9:F1} |");
        }
    }
}
