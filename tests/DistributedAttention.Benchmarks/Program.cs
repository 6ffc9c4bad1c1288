using DistributedAttention.Benchmarks;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using static TorchSharp.torch;

// Usage: [--device cpu|cuda:N] SUITE ARGS, where SUITE ARGS is one of
//        window [minLog2] [maxLog2] | full [minLog2] [maxLog2] | all | cluster [log2n] [reps] | tracing BOOK [maxTokens|all] [reps]
//        | weak [log2 tokens per shard] [reps] (P = 1, 2, 4, 8 shards at fixed tokens per shard: exchange bytes and time)
//        | pytorch [minLog2] [maxLog2] [python] (ours next to the same window attention in PyTorch, every 2nd log2)
//        | model [rows] [reps] [globals] (one layer of the default book model, step by step)
//        | globals [keys] [G] [reps] (the rows of G global queries over every key)
//        | bandops [rows] [G] [threads] (the band kernel's time op by op)
//        | pretrained SHAPE [tokens] (prefill at a real checkpoint's shape, smollm2-135m or gemma3-270m: one device, then 3 silos)
// ("all" runs window and full; the cluster suite starts in-process silos and runs only when named.)
// Prints markdown rows; docs/benchmarks.md records them with the command.
try
{
    // Before the first tensor: a GPU needs TorchSharp's CUDA backend loaded first.
    args = BenchDevice.Select(args);
    DistributedAttention.Core.Runtime.TorchRuntime.EnsureLoaded();
}
catch (Exception e) when (e is DistributedAttention.Core.Runtime.TorchUnavailableException or ArgumentException or TypeInitializationException or DllNotFoundException or EntryPointNotFoundException or NotSupportedException or System.Runtime.InteropServices.ExternalException)
{
    Console.Error.WriteLine("error: " + e.Message);
    for (var inner = e.InnerException; inner is not null; inner = inner.InnerException) Console.Error.WriteLine("  because: " + inner.Message.Split('\n')[0]);
    return 1;
}

var suite = args.Length > 0 ? args[0] : "all";
int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], System.Globalization.CultureInfo.InvariantCulture) : fallback;

Console.WriteLine($"device: {BenchDevice.Current}, threads: {get_num_threads()}, TorchSharp built for libtorch {__version__}");
foreach (var library in BenchDevice.LoadedLibTorch()) Console.WriteLine($"loaded: {library}");
if (suite is "window" or "all") WindowSuite.Run(Arg(1, 14), Arg(2, 20));
if (suite is "full" or "all") FullSuite(Arg(1, 12), Arg(2, 15));
if (suite is "model") ModelSuite.Run(Arg(1, 405_390), Arg(2, 2), Arg(3, 0));
if (suite is "heads") HeadDimSuite.Run(Arg(1, 18));
if (suite is "bf16") Bf16Suite.Run(Arg(1, 16));
if (suite is "bandops") BandOpsSuite.Run(Arg(1, 405_390), Arg(2, 67), Arg(3, 2));
if (suite is "globals") GlobalRowsSuite.Run(Arg(1, 1_216_169), Arg(2, 67), Arg(3, 3));
if (suite is "pytorch") PyTorchSuite.Run(Arg(1, 16), Arg(2, 20), args.Length > 3 ? args[3] : "python3");
if (suite is "weak") await WeakScalingSuite.RunAsync(Arg(1, 15), Arg(2, 2));
if (suite is "cluster") await ClusterSuite.RunAsync(Arg(1, 18), Arg(2, 3));
if (suite is "pretrained") await PretrainedSuite.RunAsync(args.Length > 1 ? args[1] : PretrainedSuite.Shapes[0], Arg(2, 8192));
if (suite is "tracing") await TracingSuite.RunAsync(args[1], args.Length > 2 && args[2] != "all" ? Arg(2, 0) : null, Arg(3, 3));
return 0;

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
            using var q = randn(1, heads, n, d, device: BenchDevice.Current);
            using var k = randn(1, heads, n, d, device: BenchDevice.Current);
            using var v = randn(1, heads, n, d, device: BenchDevice.Current);
            var repeats = log2 >= 15 ? 1 : 3;
            var sdpa = Measure.BestSeconds(() => { using var o = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: causal); }, repeats);
            var ours = Measure.BestSeconds(() => { using var r = FullAttention.Forward(q, k, v, causal); }, repeats);
            var flops = 4.0 * heads * d * n * n * (causal ? 0.5 : 1.0);
            Console.WriteLine($"| {causal} | 2^{log2} | {ours:F3} | {sdpa:F3} | {ours / sdpa:F2} | {flops / ours / 1e9:F1} |");
        }
    }
}
