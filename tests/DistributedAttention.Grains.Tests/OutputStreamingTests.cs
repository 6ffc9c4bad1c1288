using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;
using DistributedAttention.Testing;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Tests;

/// <summary>
/// A shard's output larger than one message body streams back: Orleans batches the items of an
/// IAsyncEnumerable grain call (up to 100 per response by default), so unless every stream asks
/// for one chunk per message, 4 MiB chunks of a 256 MiB shard output went out as one 256 MiB
/// response and failed against the 128 MiB limit (seen at n = 2^18 over 2 shards). Reproduced
/// small here with a 1 MiB message limit and 64 KiB chunks.
/// </summary>
public sealed class OutputStreamingTests : IAsyncLifetime
{
    private readonly LocalCluster cluster = new(new LocalClusterOptions { MaxMessageBodyBytes = 1 << 20, ResponseTimeout = TimeSpan.FromSeconds(15) });

    public Task InitializeAsync()
    {
        TorchRuntime.EnsureLoaded();
        return cluster.StartAsync(2, ["cpu"]);
    }

    public async Task DisposeAsync() => await cluster.DisposeAsync();

    [Fact]
    public async Task Shard_output_larger_than_a_message_streams_back()
    {
        // o is 4 MiB in all, 2 MiB per shard: 32 chunks of 64 KiB each, twice the message limit if batched.
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 16, WindowRight = 16, GlobalPositions = [0] };
        using var generator = new Generator(3);
        using var q = randn(1, 4, 4096, 64, generator: generator);
        using var k = randn(1, 4, 4096, 64, generator: generator);
        using var v = randn(1, 4, 4096, 64, generator: generator);
        using var expected = SingleDeviceAttention.Forward(spec, q, k, v);

        var jobs = new JobClient(cluster.Client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(20) });
        using var actual = await jobs.RunAttentionAsync(spec, q, k, v, new JobOptions(2, ChunkBytes: 64 << 10), null, default);

        DistributedJobTests.AssertClose(expected.Output, actual.Output, "o");
        DistributedJobTests.AssertClose(expected.Lse!, actual.Lse!, "lse");
        Assert.Empty(actual.Status.Recoveries);
    }
}
