using System.Diagnostics;
using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Core.IO;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Diagnostics;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Observability;
using DistributedAttention.Silo;
using DistributedAttention.Testing;
using OpenTelemetry.Trace;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Tests;

/// <summary>
/// The span tree of whole jobs on three silos (real sockets) exported in memory: one trace per
/// job, spans from every silo, exactly one compute span per shard and layer, hop bytes that add
/// up to the job's bytes, the slowest shard of each layer named, Orleans' calls in the same
/// trace and none of its per-message ones, and a recovery span when a silo is lost.
/// </summary>
public sealed class JobTracingTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<Activity> exported = [];
    private readonly LocalCluster cluster = new();
    private ProcessTelemetry? telemetry;

    public Task InitializeAsync()
    {
        TorchRuntime.EnsureLoaded();
        telemetry = TelemetrySetup.StartForProcess("distattn-tests", t => t.AddInMemoryExporter(exported));
        return cluster.StartAsync(3, ["cpu", "cpu", "cpu"]);
    }

    public async Task DisposeAsync()
    {
        await cluster.DisposeAsync();
        telemetry?.Dispose();
    }

    [Fact]
    public async Task A_model_job_is_one_trace_down_to_every_shard_layer_and_ring_hop()
    {
        var (options, ids) = ModelJob(layers: 2, n: 3000);
        var result = await Jobs().RunModelAsync(options, ids, new JobOptions(6, [600, 450, 700, 350, 500, 400]), new InMemoryHiddenStates(), null, default).WaitAsync(TimeSpan.FromMinutes(3));
        var trace = await TraceAsync(result.Status);

        AssertJobTree(trace, result.Status, shards: 6, layers: 2);
        // Every collective the window with globals uses, with its hops as events.
        var collectives = trace.Where(a => a.OperationName == SpanNames.Collective).Select(a => (string)a.GetTagItem(AttributeNames.Collective)!).ToHashSet();
        Assert.Superset(new HashSet<string> { "halo", "allgather", "reduce-merge", "backup" }, collectives);
        // An all-gather over 6 shards makes 10 hops per shard: the span keeps 8 as events and counts them all.
        Assert.All(trace.Where(a => (string?)a.GetTagItem(AttributeNames.Collective) == "allgather"), c =>
        {
            Assert.Equal(10L, c.GetTagItem(AttributeNames.Hops));
            Assert.Equal(8, c.Events.Count());
        });
        var receives = trace.SelectMany(a => a.Events).Where(e => e.Name == SpanNames.ReceiveEvent).ToArray();
        Assert.NotEmpty(receives);
        Assert.All(receives, e => Assert.True(Tag<double>(e, AttributeNames.WaitSeconds) >= 0 && Tag<double>(e, AttributeNames.TransferSeconds) >= 0));
    }

    [Fact]
    public async Task An_attention_job_is_one_trace_with_its_rotations()
    {
        var spec = new AttentionSpec { Kind = AttentionKind.Full, Causal = true };
        using var q = randn(1, 2, 300, 8);
        var host = q.ToHost();
        var result = await Jobs().RunAttentionAsync(spec, host, host, host, new JobOptions(4), null, default).WaitAsync(TimeSpan.FromMinutes(3));
        var trace = await TraceAsync(result.Status);

        AssertJobTree(trace, result.Status, shards: 4, layers: 1);
        Assert.Contains(trace, a => a.OperationName == SpanNames.Collective && (string?)a.GetTagItem(AttributeNames.Collective) == "rotate");
    }

    [Fact]
    public async Task A_lost_silo_leaves_a_recovery_span_naming_the_shards_and_where_they_went()
    {
        var (options, ids) = ModelJob(layers: 6, n: 12_000);
        var killer = new MidJobKiller(cluster);
        var result = await Jobs().RunModelAsync(options, ids, new JobOptions(6), new InMemoryHiddenStates(), killer.Progress, default).WaitAsync(TimeSpan.FromMinutes(5));
        await killer.KilledAsync();
        var trace = await TraceAsync(result.Status);

        var recovery = Assert.Single(trace, a => a.OperationName == SpanNames.Recovery);
        Assert.Equal(killer.ShardsOnVictim, (int[])recovery.GetTagItem(AttributeNames.LostShards)!);
        var restored = recovery.Events.Where(e => e.Name == "shard restored").ToArray();
        Assert.Equal(killer.ShardsOnVictim, restored.Select(e => Tag<int>(e, AttributeNames.Shard)).Order().ToArray());
        Assert.All(restored, e => Assert.Equal(killer.Victim, Tag<string>(e, "distattn.lost.silo")));
        Assert.Equal(result.Status.Recoveries.Length, restored.Length);
    }

    /// <summary>The checks every job's trace passes.</summary>
    private static void AssertJobTree(Activity[] trace, JobStatus status, int shards, int layers)
    {
        var job = Assert.Single(trace, a => a.OperationName == SpanNames.Job);
        Assert.Null(job.Parent);
        Assert.Equal(status.JobId, job.GetTagItem(AttributeNames.JobId));
        var run = Assert.Single(trace, a => a.OperationName == SpanNames.Run);
        Assert.Equal("completed", run.GetTagItem(AttributeNames.Outcome));

        // Exactly one compute span per (shard, layer), and per shard for prepare.
        var compute = trace.Where(a => a.OperationName == SpanNames.ShardCompute).ToArray();
        var keys = compute.Select(a => (Shard: (int)a.GetTagItem(AttributeNames.Shard)!, Layer: (int)a.GetTagItem(AttributeNames.Layer)!)).ToArray();
        var expected = Enumerable.Range(0, shards).SelectMany(s => Enumerable.Range(-1, layers + 1).Select(l => (Shard: s, Layer: l))).ToArray();
        Assert.Equal(expected.Order(), keys.Order());
        // The shards ran on all three silos, each span saying where.
        Assert.Equal(3, compute.Select(a => a.GetTagItem(AttributeNames.Silo)).Distinct().Count());
        // Each compute span hangs, through Orleans' call spans, under the coordinator's run.
        var byId = trace.ToDictionary(a => a.SpanId);
        Assert.All(compute, c => Assert.Contains(run.SpanId, Ancestors(c, byId)));
        Assert.Contains(trace, a => a.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal));
        Assert.DoesNotContain(trace, a => JobTraceSampler.IsChatty(a.OperationName) || JobTraceSampler.IsChatty(a.DisplayName));

        // The bytes of every hop add up to the job's bytes, by collective; each collective span keeps its first hops as events.
        var collectives = trace.Where(a => a.OperationName == SpanNames.Collective).ToArray();
        foreach (var (collective, bytes) in status.BytesByCollective)
            Assert.Equal(bytes, collectives.Where(c => (string?)c.GetTagItem(AttributeNames.Collective) == collective).Sum(c => c.GetTagItem(AttributeNames.Bytes) as long? ?? 0));
        Assert.Equal(status.BytesByCollective.Values.Sum(), collectives.Sum(c => c.GetTagItem(AttributeNames.Bytes) as long? ?? 0));
        Assert.All(collectives, c => Assert.InRange(c.Events.Count(), 0, 8));
        // Where every hop is an event (halo), the events' bytes are the span's.
        Assert.All(collectives.Where(c => c.GetTagItem(AttributeNames.Hops) is long hops && hops == c.Events.Count()), c =>
            Assert.Equal(c.GetTagItem(AttributeNames.Bytes) as long? ?? 0, c.Events.Where(e => e.Name == SpanNames.SendEvent).Sum(e => Tag<long>(e, AttributeNames.Bytes))));

        // Every layer names the shard the others waited for.
        var layerSpans = trace.Where(a => a.OperationName == SpanNames.Phase && a.GetTagItem(AttributeNames.Layer) is int).ToArray();
        Assert.Equal(layers, layerSpans.Length);
        Assert.All(layerSpans, l => Assert.InRange((int)l.GetTagItem(AttributeNames.StragglerShard)!, 0, shards - 1));
        Assert.All(layerSpans, l => Assert.Equal(shards, l.Events.Count(e => e.Name == "shard done")));
    }

    private static IEnumerable<ActivitySpanId> Ancestors(Activity span, Dictionary<ActivitySpanId, Activity> byId)
    {
        for (var parent = span.ParentSpanId; byId.TryGetValue(parent, out var next); parent = next.ParentSpanId) yield return parent;
    }

    /// <summary>The job's spans, once its run span (the last to end on the cluster) has been exported.</summary>
    private async Task<Activity[]> TraceAsync(JobStatus status)
    {
        Assert.Matches("^[0-9a-f]{32}$", status.TraceId);
        var traceId = ActivityTraceId.CreateFromString(status.TraceId);
        for (var waited = 0; waited < 100; waited++)
        {
            Activity[] trace;
            lock (exported) trace = [.. exported.Where(a => a.TraceId == traceId)];
            if (trace.Any(a => a.OperationName == SpanNames.Job) && trace.Any(a => a.OperationName == SpanNames.Run))
            {
                // The trace's shape, for whoever reads the test log: span counts by source and operation.
                foreach (var group in trace.GroupBy(a => $"{a.Source.Name} {a.OperationName}").OrderBy(g => g.Key)) output.WriteLine($"{group.Count(),5} {group.Key} (e.g. '{group.First().DisplayName}')");
                output.WriteLine($"{trace.Length,5} spans, {trace.Sum(a => a.Events.Count())} events");
                return trace;
            }
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"trace {status.TraceId} was not exported.");
    }

    private static T Tag<T>(ActivityEvent e, string name) => (T)e.Tags.First(t => t.Key == name).Value!;

    private JobClient Jobs() => new(cluster.Client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(20) });

    private static (TransformerOptions Options, int[] Ids) ModelJob(int layers, int n)
    {
        var options = new TransformerOptions
        {
            VocabSize = 500,
            ModelDim = 16,
            Heads = 2,
            Layers = layers,
            FeedForwardDim = 32,
            Seed = 3,
            LayerAttention = TransformerOptions.Uniform(new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 40, WindowRight = 40, GlobalPositions = [0, 1234] }, layers),
        };
        var random = new Random(7);
        return (options, Enumerable.Range(0, n).Select(_ => random.Next(500)).ToArray());
    }
}
