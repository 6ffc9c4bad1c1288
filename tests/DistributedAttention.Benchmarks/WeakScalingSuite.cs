using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Distributed;
using DistributedAttention.Core.IO;
using DistributedAttention.Diagnostics;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;
using static TorchSharp.torch;

namespace DistributedAttention.Benchmarks;

/// <summary>
/// Weak scaling simulated on one machine: P = 1, 2, 4, 8 shards (one silo each, in this process)
/// at a fixed number of tokens per shard. Per layer and shard: the bytes it exchanged, the time it
/// spent moving them and waiting for peers (the transport's clock, from the shard's compute span),
/// against <see cref="WindowTraffic"/>'s formula. The halo does not grow with P, so neither should
/// a shard's bytes; the time does, because P shards share the same cores here.
/// </summary>
internal static class WeakScalingSuite
{
    private const int Heads = 8, HeadDim = 64, Half = 128;
    private static readonly int[] ShardCounts = [1, 2, 4, 8];

    public static async Task RunAsync(int log2PerShard, int reps)
    {
        long perShard = 1L << log2PerShard;
        var layers = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == Telemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.OperationName == SpanNames.ShardCompute && activity.GetTagItem(AttributeNames.Layer) is int layer && layer >= 0) layers.Add(activity);
            },
        };
        ActivitySource.AddActivityListener(listener);

        Console.WriteLine();
        Console.WriteLine($"weak scaling: {perShard:N0} tokens per shard, {Heads} heads of {HeadDim}, fp32 wire, window ±{Half}, globals at 0 and n/2, " +
            $"no recovery copies; median of {reps} run(s) after a warm-up; every silo in this process on {Environment.ProcessorCount} core(s).");
        Console.WriteLine("| P | n | layer s (job phase) | per shard: layer s (compute span) | transfer s | wait s | bytes sent (mean of shards) | per layer B (all shards) | formula B | halo B | globals B |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        double? oneShardCompute = null;
        foreach (var p in ShardCounts)
        {
            long n = perShard * p;
            var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = Half, WindowRight = Half, GlobalPositions = [0, n / 2] };
            using var generator = new TorchSharp.torch.Generator(7);
            HostTensor Input()
            {
                using var t = randn([1, Heads, n, HeadDim], generator: generator);
                return t.ToHost();
            }
            var (q, k, v) = (Input(), Input(), Input());
            await using var cluster = new LocalCluster(new LocalClusterOptions { LogLevel = Microsoft.Extensions.Logging.LogLevel.Error });
            await cluster.StartAsync(p, ["cpu"]).ConfigureAwait(false);
            var jobs = new JobClient(cluster.Client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(10) });
            var runs = new List<(double Layer, double Compute, double Transfer, double Wait, double Bytes, JobStatus Status)>();
            for (var rep = 0; rep <= reps; rep++)
            {
                layers.Clear();
                var result = await jobs.RunAttentionAsync(spec, q, k, v, new JobOptions(p, Replicas: 0), null, default).ConfigureAwait(false);
                await cluster.Client.GetGrain<IJobGrain>(result.Plan.JobId).ReleaseAsync().ConfigureAwait(false);
                if (rep == 0) continue; // warm-up
                var spans = layers.Where(a => (string?)a.GetTagItem(AttributeNames.JobId) == result.Plan.JobId).ToList();
                if (spans.Count == 0) throw new InvalidOperationException($"no shard compute span was recorded for job {result.Plan.JobId}.");
                double Mean(string tag) => spans.Average(a => Convert.ToDouble(a.GetTagItem(tag) ?? 0.0, CultureInfo.InvariantCulture));
                var layer = result.Status.Phases.Where(ph => ph.Phase.StartsWith("layer ", StringComparison.Ordinal)).Sum(ph => ph.Seconds);
                runs.Add((layer, spans.Average(a => a.Duration.TotalSeconds), Mean(AttributeNames.TransferSeconds), Mean(AttributeNames.WaitSeconds), Mean(AttributeNames.Bytes), result.Status));
            }
            var status = runs[^1].Status;
            if (p == 1) oneShardCompute = Measure.Median(runs.Select(r => r.Compute));
            var traffic = WindowTraffic.Of(spec, ShardLayout.Even(n, p), Heads, HeadDim, HeadDim, 4);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {p} | {n:N0} | {Measure.Median(runs.Select(r => r.Layer)):F3} | {Measure.Median(runs.Select(r => r.Compute)):F3} | {Measure.Median(runs.Select(r => r.Transfer)):F3} | {Measure.Median(runs.Select(r => r.Wait)):F3} | {Measure.Median(runs.Select(r => r.Bytes)):N0} | {status.BytesPerLayer.Sum():N0} | {traffic.Total:N0} | {traffic.Halo:N0} | {traffic.AllGather + traffic.ReduceMerge:N0} |"));
        }
        if (oneShardCompute is { } compute) Project(compute / perShard);
    }

    /// <summary>
    /// The formula at 64 nodes and 2^20 tokens, for this suite's shape and for the book model's
    /// (4 heads of 16, 67 globals): bytes per shard and layer, and the link speed at which moving
    /// them takes as long as computing the shard's layer at <paramref name="secondsPerToken"/>
    /// (this run's one-shard compute rate; a GPU's would be higher, and so the speed).
    /// </summary>
    private static void Project(double secondsPerToken)
    {
        const int nodes = 64;
        const long n = 1L << 20;
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"projection to {nodes} nodes at n = 2^20, fp32 wire; compute at this run's one-shard rate, {secondsPerToken * 1e6:F2} µs per token:"));
        Console.WriteLine("| shape | per layer B (all shards) | per shard B | shard compute s | link where moving = computing |");
        Console.WriteLine("|---|---|---|---|---|");
        var book = Enumerable.Range(0, 67).Select(i => i * n / 67).ToArray();
        foreach (var (name, heads, dim, globals) in new[] { ("8 heads of 64, globals 0 and n/2", 8, 64, new[] { 0, n / 2 }), ("book model: 4 heads of 16, 67 globals", 4, 16, book) })
        {
            var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = Half, WindowRight = Half, GlobalPositions = globals };
            var total = WindowTraffic.Of(spec, ShardLayout.Even(n, nodes), heads, dim, dim, 4).Total;
            var perShard = (double)total / nodes;
            // Per-token compute scales with the head width this suite measured (8 × 64).
            var computeSeconds = secondsPerToken * (n / nodes) * heads * dim / (Heads * HeadDim);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {total:N0} | {perShard:N0} | {computeSeconds:F4} | {perShard * 8 / computeSeconds / 1e9:F2} Gbit/s |"));
        }
    }
}
