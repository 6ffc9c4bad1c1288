using DistributedAttention.Abstractions;
using DistributedAttention.Cli.Tests.Fakes;
using DistributedAttention.Client;
using DistributedAttention.Core.Attention;
using DistributedAttention.Model;
using DistributedAttention.Model.Tests;
using static TorchSharp.torch;

namespace DistributedAttention.Cli.Tests;

/// <summary>JobClient against the single-device stand-in: uploads land on the right shards in bounded chunks, outputs reassemble exactly.</summary>
public sealed class JobClientTests
{
    private static readonly JobClientOptions Fast = new() { PollInterval = TimeSpan.FromMilliseconds(5), TokenChunkBytes = 64 };

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
        var cluster = new SingleDeviceCluster { OutputRowsPerChunk = 13 };
        using var q = Randn(1, 2, 3, 101, 8);
        using var k = Randn(2, 2, 3, 101, 8);
        using var v = Randn(3, 2, 3, 101, 6);
        var statuses = new List<JobStatus>();
        var client = new JobClient(cluster, Fast);

        // 1 KiB chunks: 5 rows of 2·3·8 floats each, so every shard takes several messages.
        using var result = await client.RunAttentionAsync(spec, q, k, v, new JobOptions(3, ChunkBytes: 1024), new SyncProgress(statuses), default);

        using var expected = Attention.Forward(spec, q, k, v);
        Assert.Equal(expected.Output.bytes.ToArray(), result.Output.bytes.ToArray());
        if (expected.Lse is null) Assert.Null(result.Lse);
        else Assert.Equal(expected.Lse.bytes.ToArray(), result.Lse!.bytes.ToArray());
        Assert.Equal(JobState.Completed, statuses[^1].State);
        Assert.Equal([0L, 33, 67, 101], result.Plan.Bounds);
        Assert.InRange(cluster.Jobs.Single().LargestUpload, 1, 1024);
    }

    [Fact]
    public async Task Model_hidden_states_equal_the_single_device_model()
    {
        var cluster = new SingleDeviceCluster { OutputRowsPerChunk = 10 };
        var model = new TransformerOptions
        {
            VocabSize = 50, ModelDim = 16, Heads = 2, Layers = 2, FeedForwardDim = 32, Seed = 4,
            LayerAttention = TransformerOptions.Uniform(new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 4, WindowRight = 4, GlobalPositions = [0] }, 2),
        };
        var tokens = Enumerable.Range(0, 77).Select(i => i * 7 % 50).ToArray();
        using var dir = new TempDir();
        using var sink = new HiddenStatesFileSink(dir.File("h.safetensors"), [(0, 77)]);

        var result = await new JobClient(cluster, Fast).RunModelAsync(model, tokens, new JobOptions(2), sink, null, default);

        Assert.Equal(77, result.Rows);
        Assert.True(cluster.Jobs.Single().LargestUpload <= 64, "token uploads must respect the chunk size.");
        using var net = new TransformerModel(model);
        using var ids = tensor(tokens.Select(t => (long)t).ToArray(), [1, 77]);
        using var expected = net.forward(ids);
        using var written = DistributedAttention.Core.IO.Safetensors.Load(dir.File("h.safetensors"))["hidden"];
        Assert.Equal(expected[0].contiguous().bytes.ToArray(), written.bytes.ToArray());
    }

    [Fact]
    public async Task A_failed_job_throws_with_the_cluster_error()
    {
        var cluster = new SingleDeviceCluster { FailWith = "shard 2 ran out of memory" };
        using var q = Randn(1, 1, 1, 10, 4);
        var error = await Assert.ThrowsAsync<JobFailedException>(() =>
            new JobClient(cluster, Fast).RunAttentionAsync(Spec("full"), q, q, q, new JobOptions(2), null, default));
        Assert.Contains("shard 2 ran out of memory", error.Message);
        Assert.Equal(JobState.Failed, error.Status.State);
    }

    [Fact]
    public async Task Cancelling_cancels_the_job_on_the_cluster()
    {
        var cluster = new SingleDeviceCluster();
        using var q = Randn(1, 1, 1, 10, 4);
        using var cancel = new CancellationTokenSource();
        var progress = new SyncProgress([], _ => cancel.Cancel());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new JobClient(cluster, Fast).RunAttentionAsync(Spec("full"), q, q, q, new JobOptions(2), progress, cancel.Token));
        Assert.True(cluster.Jobs.Single().CancelRequested);
    }

    [Fact]
    public async Task Invalid_requests_fail_before_a_job_is_created()
    {
        var cluster = new SingleDeviceCluster();
        var client = new JobClient(cluster, Fast);
        using var q = Randn(1, 1, 1, 10, 4);
        using var k = Randn(1, 1, 1, 11, 4);
        Assert.Contains("same length n", (await Assert.ThrowsAsync<ArgumentException>(() => client.RunAttentionAsync(Spec("full"), q, k, q, new JobOptions(2), null, default))).Message);
        Assert.Contains("11 shards for a sequence of 10", (await Assert.ThrowsAsync<ArgumentException>(() => client.RunAttentionAsync(Spec("full"), q, q, q, new JobOptions(11), null, default))).Message);
        Assert.Contains("raise the chunk size", (await Assert.ThrowsAsync<ArgumentException>(() => client.RunAttentionAsync(Spec("full"), q, q, q, new JobOptions(2, ChunkBytes: 8), null, default))).Message);
        Assert.Empty(cluster.Jobs);
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
