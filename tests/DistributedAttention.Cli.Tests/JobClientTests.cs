using DistributedAttention.Abstractions;
using DistributedAttention.Pipeline;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Model;
using DistributedAttention.Model.Tests;
using DistributedAttention.Testing;
using static TorchSharp.torch;

namespace DistributedAttention.Cli.Tests;

/// <summary>JobClient on a real three-silo cluster: uploads land on the right shards in bounded chunks, outputs reassemble to the single-device result.</summary>
[Collection(ClusterCollection.Name)]
public sealed class JobClientTests
{
    private static readonly JobClientOptions Fast = new() { PollInterval = TimeSpan.FromMilliseconds(5) };
    private readonly ClusterFixture cluster;

    public JobClientTests(ClusterFixture cluster)
    {
        this.cluster = cluster;
        cluster.Probe.Reset();
    }

    private static Tensor Randn(ulong seed, params long[] shape)
    {
        using var generator = new TorchSharp.torch.Generator(seed, CPU);
        return randn(shape, generator: generator);
    }

    public static TheoryData<string> Specs => ["window", "performer", "full"];

    private static AttentionSpec Spec(string name) => name switch
    {
        "window" => new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 5, WindowRight = 3, GlobalPositions = [0, 40] },
        "performer" => new AttentionSpec { Kind = AttentionKind.Performer, Features = 16 },
        _ => new AttentionSpec { Kind = AttentionKind.Full, WindowLeft = null, WindowRight = null, Causal = true },
    };

    [Theory]
    [MemberData(nameof(Specs))]
    public async Task Attention_outputs_equal_the_single_device_result(string name)
    {
        var spec = Spec(name);
        using var q = Randn(1, 2, 3, 101, 8);
        using var k = Randn(2, 2, 3, 101, 8);
        using var v = Randn(3, 2, 3, 101, 6);
        var statuses = new List<JobStatus>();
        var client = new JobClient(cluster.Client, Fast);

        // 1 KiB chunks: 5 rows of 2·3·8 floats each, so every shard takes several messages.
        using var result = await client.RunAttentionAsync(spec, q, k, v, new JobOptions(3, ChunkBytes: 1024), new SyncProgress(statuses), default);

        using var expected = SingleDeviceAttention.Forward(spec, q, k, v);
        TensorAssert.Close(expected.Output, result.Output, $"{name}: o");
        if (expected.Lse is null) Assert.Null(result.Lse);
        else TensorAssert.Close(expected.Lse, result.Lse!, $"{name}: lse");
        Assert.Equal(JobState.Completed, statuses[^1].State);
        // Even shards, the remainder on the first ones.
        Assert.Equal([0L, 34, 68, 101], result.Plan.Bounds);
        var job = cluster.Probe.Jobs[result.Plan.JobId];
        Assert.InRange(job.LargestUpload, 1, 1024);
        Assert.True(job.ReleaseRequested, "the client must release the job's tensors once it has read the output.");
        Assert.Equal(3, result.Status.Shards.Select(s => s.Silo).Distinct().Count());
    }

    [Fact]
    public async Task Model_hidden_states_equal_the_single_device_model()
    {
        var model = new TransformerOptions
        {
            VocabSize = 50, ModelDim = 16, Heads = 2, Layers = 2, FeedForwardDim = 32, Seed = 4,
            LayerAttention = TransformerOptions.Uniform(new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 4, WindowRight = 4, GlobalPositions = [0] }, 2),
        };
        var tokens = Enumerable.Range(0, 77).Select(i => i * 7 % 50).ToArray();
        using var dir = new TempDir();
        using var sink = new HiddenStatesFileSink(dir.File("h.safetensors"), [(0, 77)]);

        // 1 KiB chunks: 256 token ids each, so the 39 + 38 ids of each shard are one chunk each.
        var result = await new JobClient(cluster.Client, Fast).RunModelAsync(model, tokens, new JobOptions(2, ChunkBytes: 1024), sink, null, default);

        Assert.Equal(77, result.Rows);
        var job = cluster.Probe.Jobs[result.Plan.JobId];
        Assert.True(job.LargestUpload is > 0 and <= 1024, $"token uploads must respect the chunk size (largest {job.LargestUpload} bytes).");
        Assert.True(job.ReleaseRequested, "the client must release the job's tensors once it has read the output.");
        using var net = new TransformerModel(model);
        using var ids = tensor(tokens.Select(t => (long)t).ToArray(), [1, 77]);
        using var expected = net.forward(ids);
        using var written = DistributedAttention.Core.IO.Safetensors.Load(dir.File("h.safetensors"))["hidden"];
        TensorAssert.Close(expected[0], written, "hidden states");
    }

    [Fact]
    public async Task A_failed_job_throws_with_the_cluster_error()
    {
        cluster.Probe.FailLayers(shard: 2, "shard 2 ran out of memory");
        using var q = Randn(1, 1, 1, 10, 4);
        var error = await Assert.ThrowsAsync<JobFailedException>(() =>
            new JobClient(cluster.Client, Fast).RunAttentionAsync(Spec("full"), q, q, q, new JobOptions(3), null, default));
        Assert.Contains("shard 2 ran out of memory", error.Message);
        Assert.Equal(JobState.Failed, error.Status.State);
        Assert.True(cluster.Probe.Jobs[error.Status.JobId].ReleaseRequested, "a failed job's tensors must be released too.");
    }

    [Fact]
    public async Task Cancelling_cancels_the_job_on_the_cluster()
    {
        using var q = Randn(1, 1, 1, 10, 4);
        using var cancel = new CancellationTokenSource();
        var progress = new SyncProgress([], _ => cancel.Cancel());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new JobClient(cluster.Client, Fast).RunAttentionAsync(Spec("full"), q, q, q, new JobOptions(2), progress, cancel.Token));
        Assert.True(cluster.Probe.Jobs.Values.Single().CancelRequested);
    }

    [Fact]
    public async Task Invalid_requests_fail_before_a_job_is_created()
    {
        var client = new JobClient(cluster.Client, Fast);
        using var q = Randn(1, 1, 1, 10, 4);
        using var k = Randn(1, 1, 1, 11, 4);
        Assert.Contains("same length n", (await Assert.ThrowsAsync<ArgumentException>(() => client.RunAttentionAsync(Spec("full"), q, k, q, new JobOptions(2), null, default))).Message);
        Assert.Contains("11 shards for a sequence of 10", (await Assert.ThrowsAsync<ArgumentException>(() => client.RunAttentionAsync(Spec("full"), q, q, q, new JobOptions(11), null, default))).Message);
        Assert.Contains("chunk size must be between 1 KiB", (await Assert.ThrowsAsync<ArgumentException>(() => client.RunAttentionAsync(Spec("full"), q, q, q, new JobOptions(2, ChunkBytes: 8), null, default))).Message);
        using var wide = Randn(4, 1, 2, 10, 300);
        Assert.Contains("raise the chunk size", (await Assert.ThrowsAsync<ArgumentException>(() => client.RunAttentionAsync(Spec("full"), wide, wide, wide, new JobOptions(2, ChunkBytes: 1024), null, default))).Message);
        Assert.Empty(cluster.Probe.Jobs);
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; posts to the thread pool, so the last report could arrive late).</summary>
    private sealed class SyncProgress(List<JobStatus> statuses, Action<JobStatus>? onReport = null) : IProgress<JobStatus>
    {
        public void Report(JobStatus value)
        {
            lock (statuses) statuses.Add(value);
            onReport?.Invoke(value);
        }
    }
}
