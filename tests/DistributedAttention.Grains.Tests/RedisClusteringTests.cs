using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Grains.Jobs;
using DistributedAttention.Hosting;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;
using DistributedAttention.Testing;
using DistributedAttention.Testing.Processes;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using StackExchange.Redis;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Tests;

/// <summary>
/// Redis clustering for real: a <c>redis-server</c> child process holds the membership table and
/// the job records, three silos in this process join through it (no primary silo), the client
/// finds its gateways in it, a whole attention job runs and equals the single-device result, and
/// its record reads back from Redis whole.
/// </summary>
/// <remarks>
/// Needs <c>redis-server</c> on PATH, which eng/test.sh provides (it adds the package to the test
/// sandbox). Without it the test fails, saying so, rather than skipping: a skip would let the
/// project's test command lose its only check of Redis clustering without anyone noticing.
/// </remarks>
public sealed class RedisClusteringTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Silos_cluster_through_redis_and_run_an_attention_job()
    {
        TorchRuntime.EnsureLoaded();
        await using var redis = await RedisServer.StartAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"redis-server on {redis.ConnectionString}");
        await using var cluster = new LocalCluster(new LocalClusterOptions
        {
            Clustering = ClusteringMode.Redis,
            RedisConnectionString = redis.ConnectionString,
            JobStore = JobStoreKind.Redis,
        });
        await cluster.StartAsync(3, ["cpu"]);

        // Every silo uses the Redis membership table, and the table is in this Redis: one hash for
        // the cluster, with a row per silo besides its version.
        for (var i = 0; i < 3; i++)
            Assert.Contains("Redis", cluster.SiloServices(i).GetRequiredService<IMembershipTable>().GetType().FullName, StringComparison.Ordinal);
        await using (var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
        {
            var keys = connection.GetServer(connection.GetEndPoints()[0]).Keys(pattern: "*").Select(k => k.ToString()).ToArray();
            output.WriteLine($"keys: {string.Join(", ", keys)}");
            // No job has run yet, so no job record is there either.
            var key = Assert.Single(keys);
            Assert.Contains(cluster.ClusterId, key, StringComparison.Ordinal);
            var db = connection.GetDatabase();
            Assert.Equal(RedisType.Hash, await db.KeyTypeAsync(key));
            var fields = (await db.HashKeysAsync(key)).Select(f => f.ToString()).ToArray();
            output.WriteLine($"fields: {string.Join(", ", fields)}");
            var rows = fields.Where(f => f != "Version").Order();
            Assert.Equal(cluster.SiloAddresses.Select(a => a.ToString()).Order(), rows);
        }

        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 9, WindowRight = 5, GlobalPositions = [0, 5, 40, 41, 77, 120, 150, 190, 202] };
        const int n = 203;
        using var generator = new TorchSharp.torch.Generator(17);
        using var q = randn(2, 2, n, 16, generator: generator);
        using var k = randn(2, 2, n, 16, generator: generator);
        using var v = randn(2, 2, n, 8, generator: generator);
        using var expected = SingleDeviceAttention.Forward(spec, q, k, v);

        var jobs = new JobClient(cluster.Client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(20) });
        using var actual = await jobs.RunAttentionAsync(spec, q, k, v, new JobOptions(3, DistributedJobTests.UnevenSizes(n, 3), ChunkBytes: 4096), null, default)
            .WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(JobState.Completed, actual.Status.State);
        DistributedJobTests.AssertClose(expected.Output, actual.Output, "window + globals over Redis clustering: o");
        DistributedJobTests.AssertClose(expected.Lse!, actual.Lse!, "window + globals over Redis clustering: lse");
        var silos = actual.Status.Shards.Select(s => s.Silo).ToArray();
        Assert.Equal(3, silos.Distinct().Count());
        Assert.Equal(cluster.SiloAddresses.Select(a => a.ToString()).Order(), silos.Order());

        // The coordinator's record is in Redis and reads back whole (a fresh state object, as a new activation gets).
        var storage = cluster.SiloServices(1).GetRequiredKeyedService<IGrainStorage>(JobStorage.Name);
        var record = new GrainState<JobRecord>(new JobRecord());
        await storage.ReadStateAsync(JobStorage.StateName, cluster.Client.GetGrain<IJobGrain>(actual.Plan.JobId).GetGrainId(), record);
        Assert.True(record.RecordExists);
        var stored = Assert.IsType<JobRecord>(record.State);
        Assert.Equal(JobState.Completed, stored.State);
        var plan = Assert.IsType<JobPlan>(stored.Plan);
        Assert.Equal(actual.Plan.Work, plan.Work);
        Assert.Equal(actual.Plan.Bounds, plan.Bounds);
        Assert.Equal(1, stored.LayersCompleted);
    }
}
