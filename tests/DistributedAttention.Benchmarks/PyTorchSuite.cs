using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using static TorchSharp.torch;

namespace DistributedAttention.Benchmarks;

/// <summary>
/// Our window attention next to what a user would otherwise run: the same shapes in PyTorch
/// (pytorch/window_sdpa.py: SDPA, or matmul + masked softmax, over query blocks with a band mask),
/// run by the given Python in a child process on the same device and thread count, in the same
/// benchmark run. Each side's matmul is measured in its own process, so the two roofs can be compared.
/// </summary>
internal static class PyTorchSuite
{
    private static readonly int[] Blocks = [128, 256];

    public static void Run(int minLog2, int maxLog2, string python)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "pytorch", "window_sdpa.py");
        var device = BenchDevice.IsCuda ? $"cuda:{BenchDevice.Current.index}" : "cpu";
        var arguments = new List<string>
        {
            script, "--device", device, "--threads", get_num_threads().ToString(CultureInfo.InvariantCulture),
            "--log2", minLog2.ToString(CultureInfo.InvariantCulture), maxLog2.ToString(CultureInfo.InvariantCulture), "--step", "2",
            "--impls", "sdpa", "matmul-softmax", "--blocks",
        };
        arguments.AddRange(Blocks.Select(b => b.ToString(CultureInfo.InvariantCulture)));
        var theirs = RunPython(python, arguments);

        var ourMatmul = Measure.MatmulGflops();
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"matmul GFLOP/s: ours (libtorch {__version__} in this process) {ourMatmul:F1}, PyTorch's {theirs.Matmul:F1}"));
        Console.WriteLine("| window | n | ours s | ours GFLOP/s | PyTorch SDPA s (block) | PyTorch matmul + softmax s (block) | PyTorch best / ours | our libtorch's SDPA, same blocks, s (block) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var window in WindowSuite.Windows)
        {
            for (var log2 = minLog2; log2 <= maxLog2; log2 += 2)
            {
                long n = 1L << log2;
                var ours = WindowSuite.Seconds(window, log2);
                var sdpa = theirs.Best("sdpa", window, n);
                var manual = theirs.Best("matmul-softmax", window, n);
                var best = Math.Min(sdpa.Seconds, manual.Seconds);
                var inProcess = Blocks.Select(block => (Block: block, Seconds: InProcessSdpaSeconds(window, log2, block))).MinBy(t => t.Seconds);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {window} (±{window / 2}) | 2^{log2} | {ours:F3} | {WindowSuite.UsefulFlops(window, n) / ours / 1e9:F1} | {sdpa.Seconds:F3} ({sdpa.Block}) | {manual.Seconds:F3} ({manual.Block}) | {best / ours:F2} | {inProcess.Seconds:F3} ({inProcess.Block}) |"));
            }
        }
    }

    /// <summary>
    /// The script's SDPA over query blocks with a band mask, written again with this process's
    /// libtorch: separates what libtorch's fused kernel gives from what PyTorch's build adds.
    /// </summary>
    private static double InProcessSdpaSeconds(int window, int log2, int block)
    {
        long n = 1L << log2, half = window / 2;
        var device = BenchDevice.Current;
        using var q = randn(1, WindowSuite.Heads, n, WindowSuite.HeadDim, device: device);
        using var k = randn(1, WindowSuite.Heads, n, WindowSuite.HeadDim, device: device);
        using var v = randn(1, WindowSuite.Heads, n, WindowSuite.HeadDim, device: device);
        using var output = empty_like(q);
        var masks = new Dictionary<(long, long, long), Tensor>();
        try
        {
            return Measure.BestSeconds(() =>
            {
                for (long start = 0; start < n; start += block)
                {
                    long end = Math.Min(start + block, n), keyStart = Math.Max(0, start - half), keyEnd = Math.Min(n, end + half);
                    var key = (start - keyStart, end - start, keyEnd - keyStart);
                    if (!masks.TryGetValue(key, out var mask))
                    {
                        using var rows = arange(start, end, device: device).unsqueeze(1);
                        using var columns = arange(keyStart, keyEnd, device: device).unsqueeze(0);
                        using var distance = columns - rows;
                        masks[key] = mask = distance.abs().le(half);
                    }
                    using var qb = q.narrow(2, start, end - start);
                    using var kb = k.narrow(2, keyStart, keyEnd - keyStart);
                    using var vb = v.narrow(2, keyStart, keyEnd - keyStart);
                    using var ob = nn.functional.scaled_dot_product_attention(qb, kb, vb, mask);
                    using var target = output.narrow(2, start, end - start);
                    target.copy_(ob);
                }
            }, log2 >= 19 ? 1 : 3);
        }
        finally
        {
            foreach (var mask in masks.Values) mask.Dispose();
        }
    }

    private sealed record Timing(string Impl, int Window, long N, int Block, double Seconds);

    private sealed record PythonResults(double Matmul, List<Timing> Timings)
    {
        public Timing Best(string impl, int window, long n) =>
            Timings.Where(t => t.Impl == impl && t.Window == window && t.N == n).MinBy(t => t.Seconds)
            ?? throw new InvalidOperationException($"the PyTorch script reported no {impl} timing for window {window}, n {n}.");
    }

    private static PythonResults RunPython(string python, List<string> arguments)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // The pthread build of OpenBLAS (Debian's default) runs its own thread pool beside torch's
        // OpenMP team and oversubscribes the cores (SDPA at 2^14, window 512: 8.5 GFLOP/s against 54).
        // Its OpenMP build shares torch's runtime and reaches the same matmul roof as ours: use it
        // when installed (libopenblas0-openmp), else keep OpenBLAS to one thread.
        const string openMpBlas = "/usr/lib/x86_64-linux-gnu/openblas-openmp";
        if (Directory.Exists(openMpBlas))
            start.Environment["LD_LIBRARY_PATH"] = openMpBlas + (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") is { Length: > 0 } path ? ":" + path : "");
        else if (Environment.GetEnvironmentVariable("OPENBLAS_NUM_THREADS") is null)
            start.Environment["OPENBLAS_NUM_THREADS"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {python}.");
        double matmul = 0;
        var timings = new List<Timing>();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            switch (root.GetProperty("kind").GetString())
            {
                case "matmul":
                    matmul = root.GetProperty("gflops").GetDouble();
                    break;
                case "window":
                    timings.Add(new Timing(root.GetProperty("impl").GetString()!, root.GetProperty("window").GetInt32(), root.GetProperty("n").GetInt64(),
                        root.GetProperty("block").GetInt32(), root.GetProperty("seconds").GetDouble()));
                    break;
                default:
                    Console.WriteLine("PyTorch: " + line);
                    break;
            }
        }
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{python} {Path.GetFileName(arguments[0])} exited with {process.ExitCode}.");
        return new PythonResults(matmul, timings);
    }
}
