using System.Diagnostics;
using System.Globalization;
using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Distributed;
using DistributedAttention.Core.IO;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Model;
using DistributedAttention.Silo;
using static TorchSharp.torch;

namespace DistributedAttention.Benchmarks;

/// <summary>
/// The same window + global attention job (and a small model job) on one device in this process
/// and on in-process clusters of 2 and 4 silos over localhost TCP, interleaved rep by rep so
/// every ratio is measured in one run; plus the bytes each distributed job exchanged against
/// the theoretical minimum (<see cref="WindowTraffic"/>).
/// </summary>
internal static class ClusterSuite
{
    private const int Heads = 8, HeadDim = 64, Window = 256;
    private static readonly int[] ShardCounts = [2, 4];
    private static readonly WireDType[] Wires = [WireDType.Float32, WireDType.Float16];

    public static async Task RunAsync(int log2n, int reps)
    {
        long n = 1L << log2n;
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = Window, WindowRight = Window, GlobalPositions = [0, n / 2] };
        Console.WriteLine();
        Console.WriteLine($"cluster: n = 2^{log2n}, batch 1, heads {Heads}, d {HeadDim}, fp32, window ({Window}, {Window}), globals [0, {n / 2}]; " +
            $"median of {reps} rep(s) after one warm-up, single-device and distributed runs interleaved in each rep.");
        Console.WriteLine($"note: every silo runs in this one process and shares the same {Environment.ProcessorCount} core(s) and " +
            $"{get_num_threads()} libtorch thread(s) with the others: P shards do not get P× the hardware, so the ratios are " +
            "the cost (or the extra parallelism) of distribution on one box, not a real cluster's speed-up.");

        using var generator = new TorchSharp.torch.Generator(7);
        using var q = randn([1, Heads, n, HeadDim], generator: generator);
        using var k = randn([1, Heads, n, HeadDim], generator: generator);
        using var v = randn([1, Heads, n, HeadDim], generator: generator);
        var (hostQ, hostK, hostV) = (q.ToHost(), k.ToHost(), v.ToHost());

        var clusters = new Dictionary<int, LocalCluster>();
        var diskClusters = new Dictionary<int, LocalCluster>();
        var copies = Path.Combine(Path.GetTempPath(), "distattn-bench-copies-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        try
        {
            var startWatch = Stopwatch.StartNew();
            foreach (var p in ShardCounts)
            {
                // Errors only: the silos' start-up notes (ServerGC, watchdog) would break up the tables.
                clusters[p] = new LocalCluster(new LocalClusterOptions { LogLevel = Microsoft.Extensions.Logging.LogLevel.Error });
                await clusters[p].StartAsync(p, ["cpu"]).ConfigureAwait(false);
                // The same with the neighbours' copies spilled to local disk (ShardBackupOptions).
                diskClusters[p] = new LocalCluster(new LocalClusterOptions { LogLevel = Microsoft.Extensions.Logging.LogLevel.Error, Backups = Grains.Shards.Backups.BackupStorage.Disk, BackupDirectory = copies });
                await diskClusters[p].StartAsync(p, ["cpu"]).ConfigureAwait(false);
            }
            Console.WriteLine($"clusters of {string.Join(" and ", ShardCounts)} silos (copies in memory, and on disk under {copies}) started in {startWatch.Elapsed.TotalSeconds:F1} s.");

            var configs = new List<Config> { new(0, WireDType.Float32) };
            foreach (var wire in Wires) configs.AddRange(ShardCounts.Select(p => new Config(p, wire)));
            // Without the neighbour copies (JobOptions.Replicas = 0): what recovery costs in time; and with the copies on disk.
            configs.AddRange(ShardCounts.Select(p => new Config(p, WireDType.Float32, Replicate: false)));
            configs.AddRange(ShardCounts.Select(p => new Config(p, WireDType.Float32, Disk: true)));

            // Warm-up: JIT, grain activation, libtorch kernels; also checks the distributed results.
            Tensor expected;
            using (var single = SingleDeviceAttention.Forward(spec, q, k, v)) expected = single.Output.alias();
            using (expected)
            {
                foreach (var config in configs.Where(c => c.Shards > 0))
                {
                    var result = await RunAttentionAsync((config.Disk ? diskClusters : clusters)[config.Shards], spec, hostQ, hostK, hostV, config).ConfigureAwait(false);
                    using var output = result.Result!.Output.ToTorch();
                    using var diff = (output - expected).abs().max();
                    Console.WriteLine($"warm-up {config}: max |o − single-device o| = {diff.item<float>():E2}");
                }
            }

            var runs = configs.ToDictionary(c => c, _ => new List<Run>());
            for (var rep = 0; rep < reps; rep++)
            {
                foreach (var config in configs)
                {
                    Collect();
                    if (config.Shards == 0)
                    {
                        var watch = Stopwatch.StartNew();
                        using (SingleDeviceAttention.Forward(spec, q, k, v)) runs[config].Add(new Run(watch.Elapsed.TotalSeconds, 0, 0, null));
                    }
                    else
                    {
                        var run = await RunAttentionAsync((config.Disk ? diskClusters : clusters)[config.Shards], spec, hostQ, hostK, hostV, config).ConfigureAwait(false);
                        runs[config].Add(run with { Result = null });
                    }
                }
            }
            PrintTimes("attention", runs, configs);
            PrintBytes(spec, n, runs);

            await ModelAsync(clusters, n, reps).ConfigureAwait(false);
        }
        finally
        {
            foreach (var cluster in clusters.Values.Concat(diskClusters.Values)) await cluster.DisposeAsync().ConfigureAwait(false);
            if (Directory.Exists(copies)) Directory.Delete(copies, recursive: true);
        }
    }

    private sealed record Config(int Shards, WireDType Wire, bool Replicate = true, bool Disk = false)
    {
        public override string ToString() =>
            Shards == 0 ? "single device" : $"{Shards} silos, {(Wire == WireDType.Float32 ? "fp32" : "fp16")} wire{(Replicate ? Disk ? ", copies on disk" : "" : ", no recovery copies")}";
    }

    /// <summary>One timed job: wall seconds end to end, the client's time before the first status poll (plan, shard set-up, upload) and after the last (download), and the final status.</summary>
    private sealed record Run(double Wall, double Before, double After, JobStatus? Status, AttentionJobResult? Result = null)
    {
        public double Phase(string name) => Status?.Phases.Where(p => p.Phase == name).Sum(p => p.Seconds) ?? 0;

        public double Layers => Status?.Phases.Where(p => p.Phase.StartsWith("layer ", StringComparison.Ordinal)).Sum(p => p.Seconds) ?? Wall;
    }

    /// <summary>Records when the first poll and the terminal poll of a job came back.</summary>
    private sealed class PollClock(Stopwatch watch) : IProgress<JobStatus>
    {
        public double First { get; private set; } = double.NaN;

        public double Last { get; private set; } = double.NaN;

        public void Report(JobStatus value)
        {
            if (double.IsNaN(First)) First = watch.Elapsed.TotalSeconds;
            if (value.State != JobState.Running && value.State != JobState.Created) Last = watch.Elapsed.TotalSeconds;
        }
    }

    private static JobClient Jobs(LocalCluster cluster) => new(cluster.Client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(10) });

    private static async Task<Run> RunAttentionAsync(LocalCluster cluster, AttentionSpec spec, HostTensor q, HostTensor k, HostTensor v, Config config)
    {
        var watch = Stopwatch.StartNew();
        var clock = new PollClock(watch);
        var result = await Jobs(cluster).RunAttentionAsync(spec, q, k, v, new JobOptions(config.Shards, Wire: config.Wire, Replicas: config.Replicate ? 1 : 0), clock, default).ConfigureAwait(false);
        var wall = watch.Elapsed.TotalSeconds;
        // The shards hold their inputs and outputs until released.
        await cluster.Client.GetGrain<IJobGrain>(result.Plan.JobId).ReleaseAsync().ConfigureAwait(false);
        return new Run(wall, clock.First, wall - clock.Last, result.Status, result);
    }

    private static void PrintTimes(string what, Dictionary<Config, List<Run>> runs, List<Config> configs)
    {
        var single = runs[configs[0]];
        var singleWall = Measure.Median(single.Select(r => r.Wall));
        Console.WriteLine();
        Console.WriteLine($"| {what} | wall s | wall / single | client→cluster s | prepare s | layers s | layers / single | cluster→client s |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var config in configs)
        {
            var list = runs[config];
            var wall = Measure.Median(list.Select(r => r.Wall));
            if (config.Shards == 0)
            {
                Console.WriteLine($"| {config} | {wall:F3} | 1.00 | | | {wall:F3} | 1.00 | |");
                continue;
            }
            var layers = Measure.Median(list.Select(r => r.Layers));
            Console.WriteLine($"| {config} | {wall:F3} | {wall / singleWall:F2} | {Measure.Median(list.Select(r => r.Before)):F3} | " +
                $"{Measure.Median(list.Select(r => r.Phase("prepare"))):F3} | {layers:F3} | {layers / singleWall:F2} | {Measure.Median(list.Select(r => r.After)):F3} |");
        }
        Console.WriteLine($"(medians over {single.Count} rep(s); each column is its own median. client→cluster: plan, shard set-up and the " +
            "input upload straight to the shards (token ids or q, k, v), until the first status poll; prepare: the job's own phase before layer 0 " +
            "(embedding for a model, input hand-over for attention, and the layer-0 backup copies); layers: the job's layer phases, compute + " +
            "ring exchange + the backup copy of each layer's output; cluster→client: streaming the output back straight from the shards.)");
    }

    private static void PrintBytes(AttentionSpec spec, long n, Dictionary<Config, List<Run>> runs)
    {
        Console.WriteLine();
        Console.WriteLine("| shards | wire | halo B | all-gather B | reduce-merge B | per layer B (measured) | formula B | minimum B | measured / minimum | backup B (not in per layer) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (config, list) in runs.Where(r => r.Key.Shards > 0))
        {
            var status = list[^1].Status!;
            var layout = ShardLayout.Even(n, config.Shards);
            var model = WindowTraffic.Of(spec, layout, Heads, HeadDim, HeadDim, config.Wire == WireDType.Float32 ? 4 : 2);
            var bytes = status.BytesByCollective;
            var perLayer = status.BytesPerLayer.Sum();
            var formula = perLayer == model.Total ? $"{model.Total:N0} (equal)" : $"{model.Total:N0} (differs)";
            Console.WriteLine($"| {config.Shards} | {(config.Wire == WireDType.Float32 ? "fp32" : "fp16")} | {Get(bytes, "halo"):N0} | {Get(bytes, "allgather"):N0} | " +
                $"{Get(bytes, "reduce-merge"):N0} | {perLayer:N0} | {formula} | {model.Minimum:N0} | {(double)perLayer / model.Minimum:F4} | {Get(bytes, "backup"):N0} |");
        }
        var example = WindowTraffic.Of(spec, ShardLayout.Even(n, 4), Heads, HeadDim, HeadDim, 4);
        Console.WriteLine($"(minimum for 4 shards, fp32: halo K/V {example.MinimumHalo:N0} + foreign global K/V not already in a halo {example.MinimumGlobalKeyValues:N0} + " +
            $"global Q {example.MinimumGlobalQueries:N0} + global partials (o, lse) {example.MinimumPartials:N0}; measured halo / minimum halo = " +
            $"{(double)example.Halo / example.MinimumHalo:F4}, all-gather and reduce-merge are {example.AllGather:N0} and {example.ReduceMerge:N0} by formula.)");
    }

    private static async Task ModelAsync(Dictionary<int, LocalCluster> clusters, long n, int reps)
    {
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = Window, WindowRight = Window, GlobalPositions = [0, n / 2] };
        var options = new TransformerOptions
        {
            VocabSize = 1024,
            ModelDim = 64,
            Heads = 4,
            Layers = 2,
            FeedForwardDim = 256,
            Seed = 11,
            LayerAttention = TransformerOptions.Uniform(spec, 2),
        };
        var random = new Random(5);
        var ids = Enumerable.Range(0, (int)n).Select(_ => random.Next(options.VocabSize)).ToArray();
        using var model = new TransformerModel(options);
        using var tokens = tensor(ids.Select(i => (long)i).ToArray(), [1, n]);
        Console.WriteLine();
        Console.WriteLine($"model: TransformerModel, {options.Layers} layers, d_model {options.ModelDim}, {options.Heads} heads, ffn {options.FeedForwardDim}, " +
            $"the same window + globals in every layer, {n} random token ids; hidden states streamed to a sink that drops them.");

        var configs = new List<Config> { new(0, WireDType.Float32) };
        configs.AddRange(ShardCounts.Select(p => new Config(p, WireDType.Float32)));
        var runs = configs.ToDictionary(c => c, _ => new List<Run>());
        for (var rep = -1; rep < reps; rep++)
        {
            foreach (var config in configs)
            {
                Collect();
                Run run;
                if (config.Shards == 0)
                {
                    var watch = Stopwatch.StartNew();
                    using (no_grad())
                    using (model.forward(tokens)) run = new Run(watch.Elapsed.TotalSeconds, 0, 0, null);
                }
                else
                {
                    var cluster = clusters[config.Shards];
                    var watch = Stopwatch.StartNew();
                    var clock = new PollClock(watch);
                    var result = await Jobs(cluster).RunModelAsync(options, ids, new JobOptions(config.Shards), new DiscardSink(), clock, default).ConfigureAwait(false);
                    var wall = watch.Elapsed.TotalSeconds;
                    await cluster.Client.GetGrain<IJobGrain>(result.Plan.JobId).ReleaseAsync().ConfigureAwait(false);
                    run = new Run(wall, clock.First, wall - clock.Last, result.Status);
                }
                if (rep >= 0) runs[config].Add(run);
            }
        }
        PrintTimes("model", runs, configs);
        Console.WriteLine();
        Console.WriteLine("| model shards | bytes per layer (measured, no backup) | backup B, all layers |");
        Console.WriteLine("|---|---|---|");
        foreach (var (config, list) in runs.Where(r => r.Key.Shards > 0))
        {
            var status = list[^1].Status!;
            Console.WriteLine($"| {config.Shards} | {string.Join(" / ", status.BytesPerLayer.Select(b => b.ToString("N0", CultureInfo.InvariantCulture)))} | {Get(status.BytesByCollective, "backup"):N0} |");
        }
    }

    private sealed class DiscardSink : IModelOutputSink
    {
        public ValueTask BeginAsync(long rows, int modelDim, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask WriteAsync(long rowStart, long rows, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask CompleteAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private static long Get(Dictionary<string, long> bytes, string collective) => bytes.GetValueOrDefault(collective);

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
