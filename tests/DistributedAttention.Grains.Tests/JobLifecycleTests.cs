using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.IO;
using DistributedAttention.Grains.Placement;
using DistributedAttention.Model;
using DistributedAttention.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Tests;

/// <summary>Cancelling, bad requests and failed jobs: clear errors, and the cluster keeps serving.</summary>
public sealed class JobLifecycleTests(JobCluster fixture) : IClassFixture<JobCluster>
{
    [Fact]
    public async Task Cancelled_job_stops_on_the_cluster_and_the_next_job_runs()
    {
        var options = new TransformerOptions
        {
            VocabSize = 100, ModelDim = 32, Heads = 4, Layers = 40, FeedForwardDim = 64,
            LayerAttention = TransformerOptions.Uniform(new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 32, WindowRight = 32 }, 40),
        };
        var ids = Enumerable.Range(0, 20_000).Select(i => i % 100).ToArray();
        using var cancel = new CancellationTokenSource();
        string? jobId = null;
        var progress = new Progress<JobStatus>(status =>
        {
            jobId = status.JobId;
            if (status.Shards.Any(s => s.LayersDone >= 1)) cancel.Cancel();
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            fixture.Jobs.RunModelAsync(options, ids, new JobOptions(3), new InMemoryHiddenStates(), progress, cancel.Token));

        var status = await fixture.Cluster.Client.GetGrain<IJobGrain>(jobId!).GetStatusAsync();
        Assert.Equal(JobState.Cancelled, status.State);
        Assert.True(status.Shards.Max(s => s.LayersDone) < options.Layers, "the job ran to the end despite the cancel.");
        await AssertClusterServesAsync();
    }

    [Fact]
    public async Task Invalid_requests_are_refused_with_the_problem_named()
    {
        var job = fixture.Cluster.Client.GetGrain<IJobGrain>(Guid.NewGuid().ToString("N"));
        var badModel = new TransformerOptions
        {
            VocabSize = 10, ModelDim = 30, Heads = 4, Layers = 1, FeedForwardDim = 8,
            LayerAttention = [new AttentionSpec()],
        };
        // Records do not validate themselves on the way; the coordinator does.
        var e = await Assert.ThrowsAsync<ArgumentException>(() => job.SubmitAsync(new JobRequest(new ModelWork(badModel, 100), new JobOptions(2))));
        Assert.Contains("not divisible by heads", e.Message);

        var spec = new AttentionSpec { Kind = AttentionKind.Window };
        e = await Assert.ThrowsAsync<ArgumentException>(() => job.SubmitAsync(new JobRequest(new AttentionWork(spec, new AttentionShape(1, 2, 5, 8, 8)), new JobOptions(7))));
        Assert.Contains("7 shards for a sequence of 5 positions", e.Message);
        e = await Assert.ThrowsAsync<ArgumentException>(() => job.SubmitAsync(new JobRequest(new AttentionWork(spec, new AttentionShape(1, 2, 10, 8, 8)), new JobOptions(2, [3, 3]))));
        Assert.Contains("add up to 6", e.Message);
        e = await Assert.ThrowsAsync<ArgumentException>(() => job.SubmitAsync(new JobRequest(new AttentionWork(spec, new AttentionShape(1, 2, 10, 8, 8)), new JobOptions(2, Replicas: 9))));
        Assert.Contains("replicas must be between 0 and 8", e.Message);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => job.GetStatusAsync());
        await AssertClusterServesAsync();
    }

    [Fact]
    public async Task Bad_requests_while_a_job_runs_are_refused_and_the_running_job_ends_equal_to_one_device()
    {
        var job = new LossJob(tokens: 12_000, layers: 6);
        using var expected = job.SingleDevice();
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new InMemoryHiddenStates();
        var work = fixture.Jobs.RunModelAsync(job.Options, job.Tokens, new JobOptions(3), sink,
            new SynchronousProgress<JobStatus>(s => { if (s.State == JobState.Running) running.TrySetResult(); }), default);
        await running.Task.WaitAsync(TimeSpan.FromMinutes(2));

        var bad = fixture.Cluster.Client.GetGrain<IJobGrain>(Guid.NewGuid().ToString("N"));
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = -3 };
        Assert.Contains("window", (await Assert.ThrowsAsync<ArgumentException>(() => bad.SubmitAsync(new JobRequest(new AttentionWork(spec, new AttentionShape(1, 2, 10, 8, 8)), new JobOptions(2))))).Message);
        var outside = new AttentionSpec { Kind = AttentionKind.Window, GlobalPositions = [40] };
        Assert.Contains("global position 40 is outside the sequence", (await Assert.ThrowsAsync<ArgumentException>(() => bad.SubmitAsync(new JobRequest(new AttentionWork(outside, new AttentionShape(1, 2, 10, 8, 8)), new JobOptions(2))))).Message);
        Assert.Contains("shards must be >= 1", (await Assert.ThrowsAsync<ArgumentException>(() => bad.SubmitAsync(new JobRequest(new AttentionWork(new AttentionSpec(), new AttentionShape(1, 2, 10, 8, 8)), new JobOptions(0))))).Message);
        Assert.Contains("dilation", (await Assert.ThrowsAsync<ArgumentException>(() => bad.SubmitAsync(new JobRequest(new AttentionWork(new AttentionSpec { Dilation = 0 }, new AttentionShape(1, 2, 10, 8, 8)), new JobOptions(2))))).Message);
        Assert.Contains("unknown wire type", (await Assert.ThrowsAsync<ArgumentException>(() => bad.SubmitAsync(new JobRequest(new AttentionWork(new AttentionSpec(), new AttentionShape(1, 2, 10, 8, 8)), new JobOptions(2, Wire: (WireDType)77))))).Message);
        var noLayers = job.Options with { Layers = 0, LayerAttention = [] };
        Assert.Contains("layers must be >= 1", (await Assert.ThrowsAsync<ArgumentException>(() => bad.SubmitAsync(new JobRequest(new ModelWork(noLayers, 100), new JobOptions(2))))).Message);

        await work.WaitAsync(TimeSpan.FromMinutes(3));
        using var actual = job.AsTensor(sink.Data);
        DistributedJobTests.AssertClose(expected, actual, "the job that ran beside the bad requests");
    }

    [Fact]
    public async Task A_job_id_holds_one_request_and_resubmitting_it_is_idempotent()
    {
        var job = fixture.Cluster.Client.GetGrain<IJobGrain>(Guid.NewGuid().ToString("N"));
        var request = new JobRequest(new AttentionWork(new AttentionSpec { Kind = AttentionKind.Window, GlobalPositions = [0, 3] }, new AttentionShape(1, 2, 10, 8, 8)), new JobOptions(2));
        var first = await job.SubmitAsync(request);
        // An equal request (new objects, equal contents) is the same job.
        var again = await job.SubmitAsync(request with { Work = new AttentionWork(new AttentionSpec { Kind = AttentionKind.Window, GlobalPositions = [0, 3] }, new AttentionShape(1, 2, 10, 8, 8)) });
        Assert.Equal(first.Bounds, again.Bounds);
        Assert.Equal(JobState.Created, (await job.GetStatusAsync()).State);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => job.SubmitAsync(request with { Options = new JobOptions(3) }));
        Assert.Contains("already exists with a different request", e.Message);
    }

    [Fact]
    public async Task Job_with_a_missing_input_fails_with_a_clear_error_and_no_silo_is_harmed()
    {
        var jobId = Guid.NewGuid().ToString("N");
        var job = fixture.Cluster.Client.GetGrain<IJobGrain>(jobId);
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 2, WindowRight = 2 };
        var plan = await job.SubmitAsync(new JobRequest(new AttentionWork(spec, new AttentionShape(1, 1, 8, 4, 4)), new JobOptions(2)));
        using var q = randn(1, 1, 4, 4);
        for (var s = 0; s < 2; s++)
        {
            var shard = fixture.Cluster.Client.GetGrain<IShardData>(ShardKey.Format(jobId, s));
            foreach (var name in new[] { "q", "k" }) await shard.LoadInputAsync(TensorChunkCodec.Chunk(q, name, 2, plan.Bounds[s], 0, 4, ElementType.Float32));
        }
        // Nothing starts while an input is missing, and the answer says what to upload.
        var start = await job.StartAsync();
        Assert.False(start.Started);
        Assert.Equal([0, 1], start.ShardsMissingInputs);
        Assert.Contains("input 'v'", start.Detail);
        Assert.Equal(JobState.Created, (await job.GetStatusAsync()).State);
        var shardData = fixture.Cluster.Client.GetGrain<IShardData>(ShardKey.Format(jobId, 0));
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var _ in shardData.ReadOutputAsync("o", 0)) { }
        });
        // A chunk that does not fit the shard is refused with the reason, and the grain serves on.
        var wrong = await Assert.ThrowsAsync<ArgumentException>(() => shardData.LoadInputAsync(TensorChunkCodec.Chunk(q, "v", 2, plan.Bounds[1], 0, 4, ElementType.Float32)));
        Assert.Contains("falls outside rows 0..3", wrong.Message);
        await AssertClusterServesAsync();
    }

    private async Task AssertClusterServesAsync()
    {
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 3, WindowRight = 3, GlobalPositions = [0] };
        using var generator = new Generator(1);
        using var q = randn(1, 2, 50, 8, generator: generator);
        using var expected = SingleDeviceAttention.Forward(spec, q, q, q);
        using var actual = await fixture.Jobs.RunAttentionAsync(spec, q, q, q, new JobOptions(3), null, default);
        DistributedJobTests.AssertClose(expected.Output, actual.Output, "a job after the failure");
    }
}
