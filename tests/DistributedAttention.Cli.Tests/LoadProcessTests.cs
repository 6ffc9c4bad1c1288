using System.Collections.Concurrent;
using System.Globalization;
using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Model;
using DistributedAttention.Testing;
using DistributedAttention.Testing.Processes;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DistributedAttention.Cli.Tests;

/// <summary>Three <c>distattn silo</c> processes with a 384 MiB memory budget each, and a client connected to them.</summary>
public sealed class BudgetedSiloProcesses : IAsyncLifetime
{
    public const long Budget = 384L << 20;
    private LocalSiloProcesses? cluster;

    public List<ChildProcess> Silos => cluster!.Silos;

    public IGrainFactory Grains => cluster!.Grains;

    public JobClient Jobs => new(Grains, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(20) });

    public async Task InitializeAsync()
    {
        TorchRuntime.EnsureLoaded();
        cluster = await LocalSiloProcesses.StartAsync(3, "--memory-budget", "384MiB");
    }

    public async Task DisposeAsync()
    {
        if (cluster is not null) await cluster.DisposeAsync();
    }

    /// <summary>Resident and peak resident memory of each silo process now, from /proc.</summary>
    public (long Rss, long Peak)[] Memory() => [.. Silos.Select(s => (Status(s.Id, "VmRSS:"), Status(s.Id, "VmHWM:")))];

    private static long Status(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
}

/// <summary>
/// Load on three silo processes with memory budgets: 20 jobs of mixed sizes and kinds submitted at
/// once all complete equal to one device, admission queues what does not fit, and no silo's memory
/// grows past its budget; 200 small jobs back to back leave memory flat.
/// </summary>
public sealed class LoadProcessTests(BudgetedSiloProcesses cluster, ITestOutputHelper output) : IClassFixture<BudgetedSiloProcesses>
{
    private static readonly AttentionSpec[] Mechanisms =
    [
        new() { Kind = AttentionKind.Window, WindowLeft = 16, WindowRight = 16, GlobalPositions = [0, 1_000] },
        new() { Kind = AttentionKind.Full, WindowLeft = null, WindowRight = null, Causal = true },
        new() { Kind = AttentionKind.BigBird, BlockSize = 32, RandomBlocks = 2 },
        new() { Kind = AttentionKind.Linformer, ProjectedLength = 64 },
        new() { Kind = AttentionKind.Performer, Features = 32 },
        new() { Kind = AttentionKind.TransformerXl, SegmentLength = 256, MemoryLength = 256 },
        new() { Kind = AttentionKind.Compressive, SegmentLength = 256, MemoryLength = 128, CompressionRate = 4, CompressedLength = 32 },
        new() { Kind = AttentionKind.Window, WindowLeft = 24, WindowRight = 0, Causal = true, Dilation = 2 },
    ];

    [Fact]
    public async Task Twenty_concurrent_jobs_of_mixed_sizes_and_kinds_complete_equal_to_one_device_within_every_silos_budget()
    {
        await WarmUpAsync();
        var baseline = cluster.Memory();
        using var watching = new CancellationTokenSource();
        var ledger = WatchLedgerAsync(watching.Token);

        var jobs = Enumerable.Range(0, 20).Select(i => i % 2 == 0 ? ModelJobAsync(i) : AttentionJobAsync(i)).ToArray();
        var statuses = await Task.WhenAll(jobs).WaitAsync(TimeSpan.FromMinutes(8));
        await watching.CancelAsync();
        var (maxQueued, maxReserved) = await ledger;

        Assert.All(statuses, s => Assert.Equal(JobState.Completed, s.State));
        Assert.True(maxQueued > 0, "no job ever waited: the load did not reach the budget, so admission was not tested.");
        Assert.InRange(maxReserved, 1, BudgetedSiloProcesses.Budget);
        var after = cluster.Memory();
        for (var i = 0; i < after.Length; i++)
        {
            var grown = after[i].Peak - baseline[i].Rss;
            output.WriteLine($"silo {i}: resident {baseline[i].Rss >> 20} MiB before, peak {after[i].Peak >> 20} MiB during the load (+{grown >> 20} MiB; budget {BudgetedSiloProcesses.Budget >> 20} MiB)");
            Assert.True(grown <= BudgetedSiloProcesses.Budget, $"silo {i} grew by {grown >> 20} MiB, past its {BudgetedSiloProcesses.Budget >> 20} MiB budget.");
        }
        output.WriteLine($"most jobs queued at once: {maxQueued}; most memory reserved on one silo: {maxReserved >> 20} MiB");
    }

    [Fact]
    public async Task Two_hundred_small_jobs_back_to_back_keep_memory_flat()
    {
        await WarmUpAsync();
        var model = Model(dim: 32, layers: 1);
        var tokens = Enumerable.Range(0, 1_000).Select(i => (i * 13) % 256).ToArray();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var curve = new List<long[]>();
        for (var job = 1; job <= 200; job++)
        {
            var sink = new InMemoryHiddenStates();
            var result = await cluster.Jobs.RunModelAsync(model, tokens, new JobOptions(3), sink, null, default).WaitAsync(TimeSpan.FromMinutes(2));
            Assert.Equal(JobState.Completed, result.Status.State);
            if (job % 20 == 0) curve.Add([job, .. cluster.Memory().Select(m => m.Rss)]);
        }
        output.WriteLine($"200 jobs in {clock.Elapsed.TotalSeconds:F0} s");
        foreach (var point in curve) output.WriteLine($"after {point[0],3} jobs: resident {string.Join(", ", point.Skip(1).Select(b => $"{b >> 20} MiB"))}");
        // Flat: once warm (40 jobs), no silo holds more than 64 MiB above where it stood then.
        var warm = curve[1];
        foreach (var point in curve.Skip(2))
        {
            for (var s = 1; s < point.Length; s++)
                Assert.True(point[s] - warm[s] <= 64L << 20, $"silo {s - 1} grew from {warm[s] >> 20} MiB after {warm[0]} jobs to {point[s] >> 20} MiB after {point[0]} jobs.");
        }
    }

    /// <summary>Loads libtorch and the model code on every silo, so the baseline is a working silo's.</summary>
    private async Task WarmUpAsync()
    {
        var tokens = Enumerable.Range(0, 600).Select(i => i % 256).ToArray();
        await cluster.Jobs.RunModelAsync(Model(dim: 32, layers: 1), tokens, new JobOptions(3), new InMemoryHiddenStates(), null, default);
    }

    private async Task<JobStatus> ModelJobAsync(int i)
    {
        var n = new[] { 4_000, 9_000, 16_000, 24_000 }[i / 2 % 4];
        var options = Model(dim: i % 4 == 0 ? 64 : 32, layers: 2, globals: i % 3 == 0 ? [0, n / 2] : []);
        var tokens = Enumerable.Range(0, n).Select(t => (t * 7919 + i) % 256).ToArray();
        var sink = new InMemoryHiddenStates();
        var result = await cluster.Jobs.RunModelAsync(options, tokens, new JobOptions(2 + (i % 3)), sink, null, default);
        using var model = new TransformerModel(options);
        using var ids = tensor(tokens.Select(t => (long)t).ToArray(), [1, n]);
        using var expected = model.forward(ids);
        using var actual = tensor(sink.Data, [1, n, options.ModelDim]);
        TensorAssert.Close(expected, actual, $"job {i}: model, {n} tokens");
        return result.Status;
    }

    private async Task<JobStatus> AttentionJobAsync(int i)
    {
        var spec = Mechanisms[i / 2 % Mechanisms.Length];
        var n = spec.Kind == AttentionKind.Full ? 3_000 : 2_000 + (i * 500);
        using var q = Randn((ulong)i, 1, 2, n, 16);
        using var k = Randn((ulong)i + 100, 1, 2, n, 16);
        using var v = Randn((ulong)i + 200, 1, 2, n, 16);
        using var result = await cluster.Jobs.RunAttentionAsync(spec, q, k, v, new JobOptions(3), null, default);
        using var expected = SingleDeviceAttention.Forward(spec, q, k, v);
        TensorAssert.Close(expected.Output, result.Output, $"job {i}: {spec.Kind}, n = {n}");
        return result.Status;
    }

    /// <summary>The most jobs queued at once, and the most bytes reserved on one silo, while the load runs.</summary>
    private async Task<(int Queued, long Reserved)> WatchLedgerAsync(CancellationToken cancellationToken)
    {
        var (queued, reserved) = (0, 0L);
        var ledger = cluster.Grains.GetGrain<IAdmissionGrain>(0);
        while (!cancellationToken.IsCancellationRequested)
        {
            var snapshot = await ledger.GetSnapshotAsync();
            queued = Math.Max(queued, snapshot.Queued.Length);
            reserved = Math.Max(reserved, snapshot.Silos.Max(s => s.ReservedBytes));
            await Task.Delay(50, CancellationToken.None);
        }
        return (queued, reserved);
    }

    private static TransformerOptions Model(int dim, int layers, long[]? globals = null) => new()
    {
        VocabSize = 256, ModelDim = dim, Heads = 4, Layers = layers, FeedForwardDim = 2 * dim, Seed = 11,
        LayerAttention = TransformerOptions.Uniform(new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 32, WindowRight = 32, GlobalPositions = globals ?? [] }, layers),
    };

    private static Tensor Randn(ulong seed, params long[] shape)
    {
        using var generator = new Generator(seed, CPU);
        return randn(shape, generator: generator);
    }
}
