using System.Diagnostics;
using DistributedAttention.Abstractions;
using DistributedAttention.Diagnostics;
using DistributedAttention.Grains.Admission;
using DistributedAttention.Grains.Draining;
using DistributedAttention.Grains.Placement;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace DistributedAttention.Grains.Jobs;

/// <summary>
/// The coordinator of one job, the control plane only: it plans and persists the job
/// (<see cref="JobRecord"/>), starts it, drives it in the background (<see cref="JobRun"/>),
/// and answers status. It never sees a tensor: clients move data to and from the shards.
/// When its silo is lost the next call (a client's status poll, or a client reattaching by id)
/// activates it on another silo, where it reads the record back and resumes the run.
/// Admission control (<see cref="IAdmissionGrain"/>) decides when a job may take memory; the
/// coordinator asks for it, queues, and holds it until the job's tensors are released
/// (JobGrain.Admission.cs).
/// </summary>
[CoordinatorPlacement]
public sealed partial class JobGrain(
    ILogger<JobGrain> logger,
    ILocalSiloDetails silo,
    SiloWork work,
    IOptions<AdmissionOptions> admission,
    [PersistentState(JobStorage.StateName, JobStorage.Name)] IPersistentState<JobRecord> state) : Grain, IJobGrain
{
    private readonly SemaphoreSlim writing = new(1, 1);
    private CancellationTokenSource cancellation = new();
    private Task? run;

    private JobRecord Record => state.State;

    private string JobId => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var here = silo.SiloAddress.ToString();
        if (Record.Plan is not null && Record.State == JobState.Running)
        {
            // Running, but not here: the coordinator was lost with its silo. Pick the job up.
            if (Record.CoordinatorSilo != here)
            {
                logger.LogWarning("Job {Job}: coordinator on {Lost} was lost; resuming on {Here} after {Layers} completed layer(s)", JobId, Record.CoordinatorSilo, here, Record.LayersCompleted);
                Record.CoordinatorMoves.Add(new CoordinatorMove(Record.CoordinatorSilo, here, Record.LayersCompleted, Record.Phase));
            }
            Record.CoordinatorSilo = here;
            await SaveAsync();
            StartRun(resuming: true);
        }
        if (Record.Plan is not null && (Record.State == JobState.Queued || Record.HoldsMemory)) StartAdmissionTimer();
        Track();
        await base.OnActivateAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // The silo is going away: stop the run here; the record says Running, so the next activation resumes it.
        await cancellation.CancelAsync();
        if (run is not null) await run.WaitAsync(cancellationToken).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Current);
        JobMetrics.ForgetJob(JobId);
        work.CoordinatorEnded(JobId);
        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<JobPlan> SubmitAsync(JobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Record.Plan is { } existing)
        {
            if (existing.Work != request.Work || existing.Options != request.Options)
                throw new ArgumentException($"job {JobId} already exists with a different request; use a new job id.");
        }
        else
        {
            var layout = JobPlanner.Layout(request);
            var placements = Enumerable.Range(0, layout.Count).Select(s => new ShardPlacement(s, layout.Start(s), layout.End(s), "", "")).ToArray();
            var shardBytes = JobMemory.PerShard(request.Work, request.Options, [.. layout.Bounds]);
            var ticket = await Transient.RetryAsync(() => Ledger.RequestAsync(new AdmissionRequest(JobId, shardBytes)), default);
            if (ticket.Outcome == AdmissionOutcome.Refused) throw new AdmissionRefusedException(ticket.Refusal, ticket.Reason);
            var queued = ticket.Outcome == AdmissionOutcome.Queued;
            state.State = new JobRecord
            {
                State = queued ? JobState.Queued : JobState.Created,
                Phase = queued ? "queued" : "upload",
                ShardBytes = shardBytes,
                QueuePosition = ticket.QueuePosition,
                AdmittedUtc = queued ? null : DateTime.UtcNow,
                Plan = new JobPlan(JobId, request.Work, request.Options, [.. layout.Bounds], placements),
                Placements = placements,
                LayersDone = new int[layout.Count],
                BytesPerLayer = new long[request.Work.Layers],
                CoordinatorSilo = silo.SiloAddress.ToString(),
                // The client's job span when it sent one; otherwise the submit call's span, or a new trace.
                TraceParent = RequestContext.Get(JobTrace.RequestContextKey) is string { Length: > 0 } parent ? parent : JobTrace.TraceParentOf(Activity.Current),
            };
            await SaveAsync();
            Track();
            StartAdmissionTimer();
        }
        if (Record.State == JobState.Created)
        {
            // The client uploads straight to the shards, so they join now (again, on a resubmission).
            var shards = Shards();
            await Task.WhenAll(Enumerable.Range(0, shards.Count).Select(s => Transient.RetryAsync(() => shards.InitializeAsync(s), default)));
            await RefreshPlacementsAsync();
        }
        return Plan();
    }

    /// <inheritdoc />
    public Task<JobPlan> GetPlanAsync() => Task.FromResult(Plan());

    /// <inheritdoc />
    public async Task<JobStart> StartAsync()
    {
        RequireJob();
        if (Record.State == JobState.Queued)
            throw new InvalidOperationException($"job {JobId} is queued for memory ({Record.QueuePosition} job(s) ahead); upload its inputs and start it once it is admitted (state Created).");
        if (Record.State != JobState.Created) return new JobStart(true, [], "");
        var shards = Shards();
        var probes = await Task.WhenAll(Enumerable.Range(0, shards.Count).Select(s => Transient.RetryAsync(() => shards.ProbeAsync(s), default)));
        var missing = Enumerable.Range(0, probes.Length).Where(s => !probes[s].Joined || !probes[s].InputsComplete).ToArray();
        if (missing.Length > 0)
        {
            // A shard lost with its silo since the upload reactivated empty: it rejoins, and the client uploads again.
            await Task.WhenAll(missing.Where(s => !probes[s].Joined).Select(s => Transient.RetryAsync(() => shards.InitializeAsync(s), default)));
            return new JobStart(false, missing, string.Join("; ", missing.Select(s => $"shard {s}: {probes[s].Missing}")));
        }
        Record.State = JobState.Running;
        Record.Phase = "prepare";
        Record.StartedUtc = DateTime.UtcNow;
        await SaveAsync();
        Track();
        StartRun(resuming: false);
        return new JobStart(true, [], "");
    }

    /// <inheritdoc />
    public Task<JobStatus> GetStatusAsync()
    {
        RequireJob();
        return Task.FromResult(Record.Status(JobId, DateTime.UtcNow));
    }

    /// <inheritdoc />
    public async Task CancelAsync()
    {
        if (Record.Plan is null || Record.Ended) return;
        var joined = Record.State != JobState.Queued;
        Record.State = JobState.Cancelled;
        Record.Error = "cancelled on request.";
        Record.EndedUtc = DateTime.UtcNow;
        await SaveAsync();
        Track();
        await cancellation.CancelAsync();
        await FreeMemoryAsync();
        if (!joined) return;
        var shards = Shards();
        await Task.WhenAll(Enumerable.Range(0, shards.Count).Select(s => BestEffortAsync(() => shards.AbortAsync(s, int.MaxValue))));
    }

    /// <inheritdoc />
    public async Task ReleaseAsync()
    {
        if (Record.Plan is null) return;
        var shards = Shards();
        await Task.WhenAll(Enumerable.Range(0, shards.Count).Select(s => BestEffortAsync(() => shards.ReleaseAsync(s))));
        Record.Released = true;
        await SaveAsync();
        await FreeMemoryAsync();
        // Nothing left to coordinate: the record answers later calls from storage, so the activation
        // (12 h of delayed deactivation from the run) need not stay in memory. Soaks grow without this.
        if (Record.Ended) DeactivateOnIdle();
    }

    /// <inheritdoc />
    public async Task<ShardPlacement> RestoreOutputAsync(int shard)
    {
        RequireJob();
        if (Record.State != JobState.Completed)
            throw new InvalidOperationException($"job {JobId} is {Record.State}; its output can be read once it has completed.");
        if (Record.Released) throw new InvalidOperationException($"job {JobId}'s tensors were released after its output was read.");
        if (shard < 0 || shard >= Record.Plan!.Count) throw new ArgumentOutOfRangeException(nameof(shard), shard, $"job {JobId} has {Record.Plan!.Count} shards.");
        var driver = new LayerDriver(Shards(), Record, new ShardRecovery(Shards(), Record), SaveAsync, logger, JobId);
        var watch = Stopwatch.StartNew();
        if (await driver.RecomputeLastAsync(Record.Plan.Layers, "a shard's output could not be read after the job completed", default))
            Record.Phases.Add(new PhaseTiming($"recompute (layer {Record.Plan.Layers - 1})", watch.Elapsed.TotalSeconds));
        await SaveAsync();
        return Record.Placements[shard];
    }

    private void StartRun(bool resuming)
    {
        cancellation = new CancellationTokenSource();
        // The run lives longer than any one call; keep the activation while it does.
        DelayDeactivation(TimeSpan.FromHours(12));
        run = FollowAsync(run, resuming, cancellation.Token);
    }

    /// <summary>
    /// Runs the job once <paramref name="previous"/> has ended. A run that sent the job back to its
    /// upload shows Created before it has finished (saving, ending its span), and a fast client
    /// uploads and starts again in that time: the new run must follow it, not be dropped (the job
    /// would stay Running with nothing running it).
    /// </summary>
    private async Task FollowAsync(Task? previous, bool resuming, CancellationToken token)
    {
        if (previous is { IsCompleted: false })
        {
            try
            {
                await previous;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Job {Job}: the previous run ended with an error; starting again", JobId);
            }
        }
        // A draining silo waits for the run to end.
        work.CoordinatorStarted(JobId);
        await RunAsync(resuming, token);
    }

    private async Task RunAsync(bool resuming, CancellationToken token)
    {
        using var span = JobSpans.StartRun(JobId, Record, silo.SiloAddress.ToString(), resuming);
        try
        {
            await new JobRun(Shards(), Record, SaveAsync, logger, JobId).RunAsync(resuming, token);
            await RefreshPlacementsAsync();
            if (Record.State == JobState.Running)
            {
                Record.State = JobState.Completed;
                Record.Phase = "done";
                Record.EndedUtc = DateTime.UtcNow;
            }
        }
        catch (Exception e) when (Record.State == JobState.Cancelled || token.IsCancellationRequested)
        {
            logger.LogInformation(e, "Job {Job} cancelled", JobId);
        }
        catch (InputsLostException e) when (Record.Uploads < MaxUploads)
        {
            logger.LogWarning("Job {Job}: {Reason} Back to the upload", JobId, e.Message);
            await BackToUploadAsync(e);
        }
        catch (Exception e)
        {
            Record.State = JobState.Failed;
            Record.Error = e switch
            {
                AggregateException { InnerException: { } inner } => inner.Message,
                InputsLostException => $"{e.Message} That happened {MaxUploads} times; submit the job again.",
                _ => e.Message,
            };
            Record.EndedUtc = DateTime.UtcNow;
            logger.LogError(e, "Job {Job} failed", JobId);
            span.Fail(e);
        }
        await SaveAsync();
        JobSpans.End(span, Record);
        Track();
        work.CoordinatorEnded(JobId);
    }

    /// <summary>Publishes this coordinator's job to the job gauges (an ended job leaves them).</summary>
    private void Track()
    {
        if (Record.Plan is { } plan) JobMetrics.TrackJob(JobId, Record.State.ToString().ToLowerInvariant(), plan.Work.Length);
    }

    /// <summary>
    /// Writes the record; writes never overlap (the run and calls interleave at awaits). A store
    /// that is briefly unreachable is retried; a store that lost the record (Orleans' memory
    /// storage keeps it in a grain, which dies with its silo) gets it again: this activation is
    /// the job's only coordinator (strongly consistent directory), so its record wins.
    /// </summary>
    private async Task SaveAsync()
    {
        await writing.WaitAsync();
        try
        {
            Record.CoordinatorSilo = silo.SiloAddress.ToString();
            await Transient.RetryAsync(async () =>
            {
                try
                {
                    await state.WriteStateAsync();
                }
                catch (InconsistentStateException e)
                {
                    logger.LogWarning(e, "Job {Job}: the job store lost or replaced the record; writing it again", JobId);
                    var mine = state.State;
                    await state.ReadStateAsync();
                    state.State = mine;
                    await state.WriteStateAsync();
                }
            }, default);
        }
        finally
        {
            writing.Release();
        }
    }

    private async Task RefreshPlacementsAsync()
    {
        var shards = Shards();
        var probes = await Task.WhenAll(Enumerable.Range(0, shards.Count).Select(s => BestEffortAsync(() => shards.ProbeAsync(s))));
        for (var s = 0; s < probes.Length; s++)
        {
            if (probes[s] is { Placement.Shard: >= 0 } probe) Record.Placements[s] = probe.Placement;
        }
        await SaveAsync();
    }

    private OrleansJobShards Shards() => new(GrainFactory, Record.Plan!);

    private JobPlan Plan()
    {
        RequireJob();
        return Record.Plan! with { Shards = [.. Record.Placements] };
    }

    private void RequireJob()
    {
        if (Record.Plan is null) throw new KeyNotFoundException($"no job {JobId} was submitted.");
    }

    private static async Task<T?> BestEffortAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().WaitAsync(ShardRecovery.ProbeTimeout);
        }
        catch (Exception)
        {
            // Cleanup and bookkeeping only: a shard that is gone has nothing to clean up.
            return default;
        }
    }

    private static Task BestEffortAsync(Func<Task> call) =>
        BestEffortAsync(async () =>
        {
            await call();
            return true;
        });
}
