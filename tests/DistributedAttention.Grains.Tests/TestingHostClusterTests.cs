using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Testing;
using Orleans.TestingHost;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Tests;

/// <summary>Three silos of Orleans' own TestingHost (in-memory membership and transport).</summary>
public sealed class TestingHostCluster : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        TorchRuntime.EnsureLoaded();
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddDistributedAttentionGrains(["cpu"]);
            silo.AddMemoryGrainStorage(DistributedAttention.Grains.Jobs.JobStorage.Name);
#pragma warning disable ORLEANSEXP003 // The silos' choice in production too (SiloBuilderExtensions).
            silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        await Cluster.WaitForClusterManifestToStabilizeAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// The same equality as <see cref="DistributedJobTests"/>, on Orleans' TestingHost: every mechanism
/// over 3 and 7 uneven shards on 3 silos equals the single-device core result.
/// </summary>
public sealed class TestingHostClusterTests(TestingHostCluster fixture) : IClassFixture<TestingHostCluster>
{
    public static IEnumerable<object[]> Cases() =>
        from name in DistributedJobTests.Specs.Keys from shards in new[] { 3, 7 } select new object[] { name, shards };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Attention_job_on_testing_host_equals_single_device(string mechanism, int shards)
    {
        var spec = DistributedJobTests.Specs[mechanism];
        using var generator = new Generator((ulong)(mechanism.Length * 17 + shards));
        using var q = randn(1, 2, 203, 16, generator: generator);
        using var k = randn(1, 2, 203, 16, generator: generator);
        using var v = randn(1, 2, 203, 16, generator: generator);
        using var expected = SingleDeviceAttention.Forward(spec, q, k, v);

        var jobs = new JobClient(fixture.Cluster.Client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(20) });
        using var actual = await jobs.RunAttentionAsync(spec, q, k, v, new JobOptions(shards, DistributedJobTests.UnevenSizes(203, shards)), null, default);

        DistributedJobTests.AssertClose(expected.Output, actual.Output, $"{mechanism} over {shards} shards: o");
        if (expected.Lse is not null) DistributedJobTests.AssertClose(expected.Lse, actual.Lse!, $"{mechanism} over {shards} shards: lse");
        Assert.Equal(3, actual.Status.Shards.Select(s => s.Silo).Distinct().Count());
    }
}
