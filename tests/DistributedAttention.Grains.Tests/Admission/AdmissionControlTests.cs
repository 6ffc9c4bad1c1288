using System.Collections.Concurrent;
using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;
using DistributedAttention.Testing;

namespace DistributedAttention.Grains.Tests.Admission;

/// <summary>Two silos of 100 MiB each, one job waiting at most, and 5 s to upload: admission control on a real cluster.</summary>
public sealed class AdmissionCluster : IAsyncLifetime
{
    public const long Budget = 100L << 20;

    public LocalCluster Cluster { get; } = new(new LocalClusterOptions { MemoryBudgetBytes = Budget, MaxQueuedJobs = 1, UploadTimeout = TimeSpan.FromSeconds(5) });

    public JobClient Jobs => new(Cluster.Client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(20) });

    public IAdmissionGrain Ledger => Cluster.Client.GetGrain<IAdmissionGrain>(0);

    public Task InitializeAsync()
    {
        TorchRuntime.EnsureLoaded();
        return Cluster.StartAsync(2);
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// Jobs that do not fit beside the running ones wait and then run correctly; a full queue and a
/// job too large for any budget are refused with the reason; an admitted job whose client never
/// uploads gives its memory back.
/// </summary>
public sealed class AdmissionControlTests(AdmissionCluster fixture) : IClassFixture<AdmissionCluster>
{
    // 2 shards of 10,000 tokens: about 75 MiB per shard by the estimate, so one job fits a 100 MiB silo and two do not.
    private static readonly TransformerOptions Model = new()
    {
        VocabSize = 100, ModelDim = 32, Heads = 4, Layers = 12, FeedForwardDim = 64,
        LayerAttention = TransformerOptions.Uniform(new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 32, WindowRight = 32 }, 12),
    };

    private static readonly int[] Tokens = [.. Enumerable.Range(0, 20_000).Select(i => (i * 7) % 100)];

    [Fact]
    public async Task A_job_that_does_not_fit_waits_in_the_queue_then_runs_and_a_full_queue_refuses_the_next()
    {
        var estimate = JobMemory.PerShard(new ModelWork(Model, Tokens.Length), new JobOptions(2), [0, 10_000, 20_000]);
        Assert.InRange(estimate[0], AdmissionCluster.Budget / 2 + 1, AdmissionCluster.Budget);

        // The first job reads its output (and so releases its memory) only once the second is seen queued.
        var queued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = new GatedSink(queued.Task);
        var firstJob = fixture.Jobs.RunModelAsync(Model, Tokens, new JobOptions(2), first,
            new Progress<JobStatus>(s => { if (s.State == JobState.Running) firstRunning.TrySetResult(); }), CancellationToken.None);
        await firstRunning.Task.WaitAsync(TimeSpan.FromSeconds(60));

        var seen = new ConcurrentQueue<JobStatus>();
        var second = new InMemoryHiddenStates();
        var secondJob = fixture.Jobs.RunModelAsync(Model, Tokens, new JobOptions(2), second, new Progress<JobStatus>(s =>
        {
            seen.Enqueue(s);
            if (s.State == JobState.Queued) queued.TrySetResult();
        }), CancellationToken.None);

        // While the second waits, the queue (one place) is full: a third job is turned away, and leaves no job behind.
        await queued.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var turnedAway = fixture.Cluster.Client.GetGrain<IJobGrain>(Guid.NewGuid().ToString("N"));
        var refused = await Assert.ThrowsAsync<AdmissionRefusedException>(() => turnedAway.SubmitAsync(new JobRequest(new ModelWork(Model, 2_000), new JobOptions(2))));
        Assert.Equal(AdmissionRefusal.QueueFull, refused.Refusal);
        Assert.Contains("the cluster is busy: 1 job(s) already wait for memory", refused.Message);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => turnedAway.GetStatusAsync());

        var (a, b) = (await firstJob, await secondJob);
        Assert.Equal(JobState.Completed, a.Status.State);
        Assert.Equal(JobState.Completed, b.Status.State);
        var waiting = seen.First(s => s.State == JobState.Queued);
        Assert.Equal(0, waiting.QueuePosition);
        Assert.Equal(estimate.Sum(), waiting.MemoryBytes);
        Assert.Equal(first.Data, second.Data);
        Assert.Equal(Tokens.Length * Model.ModelDim, first.Data.Length);
        Assert.All(first.Data, x => Assert.True(float.IsFinite(x)));

        var snapshot = await fixture.Ledger.GetSnapshotAsync();
        Assert.Empty(snapshot.Admitted);
        Assert.Empty(snapshot.Queued);
        Assert.All(snapshot.Silos, s => Assert.Equal((AdmissionCluster.Budget, 0L), (s.BudgetBytes, s.ReservedBytes)));
    }

    [Fact]
    public async Task A_job_larger_than_any_silos_budget_is_refused_at_once_naming_the_budget()
    {
        var job = fixture.Cluster.Client.GetGrain<IJobGrain>(Guid.NewGuid().ToString("N"));
        var work = new AttentionWork(new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 8, WindowRight = 8 }, new AttentionShape(1, 8, 200_000, 64, 64));
        var e = await Assert.ThrowsAsync<AdmissionRefusedException>(() => job.SubmitAsync(new JobRequest(work, new JobOptions(1))));
        Assert.Equal(AdmissionRefusal.TooLarge, e.Refusal);
        Assert.Contains("more than its budget of 100 MiB, even with nothing else running; split it into more shards or add silos", e.Message);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => job.GetStatusAsync());
    }

    [Fact]
    public async Task A_checkpoint_larger_than_the_budget_is_refused_before_any_silo_reads_it()
    {
        var job = fixture.Cluster.Client.GetGrain<IJobGrain>(Guid.NewGuid().ToString("N"));
        // 60 M parameters are 240 MB as float32; the folder does not exist, and is never opened.
        var model = new PretrainedModel("/nowhere/model", new string('a', 64), "llama", 2, 512, 8, 8, 64, 2048, 32000, 60_000_000, [null, null]);
        var e = await Assert.ThrowsAsync<AdmissionRefusedException>(() => job.SubmitAsync(new JobRequest(new PretrainedWork(model, 1_000), new JobOptions(2))));
        Assert.Equal(AdmissionRefusal.TooLarge, e.Refusal);
        Assert.Contains("more than its budget of 100 MiB", e.Message);
    }

    [Fact]
    public async Task An_admitted_job_whose_inputs_never_come_fails_after_the_upload_timeout_and_gives_its_memory_back()
    {
        var id = Guid.NewGuid().ToString("N");
        var job = fixture.Cluster.Client.GetGrain<IJobGrain>(id);
        var work = new AttentionWork(new AttentionSpec { Kind = AttentionKind.Window }, new AttentionShape(1, 2, 1_000, 16, 16));
        await job.SubmitAsync(new JobRequest(work, new JobOptions(2)));
        Assert.Contains(id, (await fixture.Ledger.GetSnapshotAsync()).Admitted);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        JobStatus status;
        while ((status = await job.GetStatusAsync()).State == JobState.Created && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(JobState.Failed, status.State);
        Assert.Contains("inputs were not all uploaded within 00:00:05 of its admission", status.Error);
        Assert.True(status.Released, "the shards still hold the job's tensors.");
        Assert.DoesNotContain(id, (await fixture.Ledger.GetSnapshotAsync()).Admitted);
    }
}

/// <summary>Hidden states in memory, taken only once <c>gate</c> opens.</summary>
internal sealed class GatedSink(Task gate) : IModelOutputSink
{
    private readonly InMemoryHiddenStates inner = new();

    public float[] Data => inner.Data;

    public async ValueTask BeginAsync(long rows, int modelDim, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        await inner.BeginAsync(rows, modelDim, cancellationToken);
    }

    public ValueTask WriteAsync(long rowStart, long rows, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => inner.WriteAsync(rowStart, rows, data, cancellationToken);

    public ValueTask CompleteAsync(CancellationToken cancellationToken) => inner.CompleteAsync(cancellationToken);
}
