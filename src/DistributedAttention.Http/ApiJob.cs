using DistributedAttention.Abstractions;

namespace DistributedAttention.Http;

/// <summary>Where a job submitted through the API stands.</summary>
public enum ApiJobState
{
    /// <summary>Accepted; its inputs are going to the shards.</summary>
    Queued,

    /// <summary>Running on the cluster.</summary>
    Running,

    /// <summary>Done; its outputs can be downloaded.</summary>
    Completed,

    /// <summary>Failed; <see cref="ApiJob.Error"/> says why.</summary>
    Failed,

    /// <summary>Cancelled on request.</summary>
    Cancelled,
}

/// <summary>
/// A job submitted through the API: its folder (input and outputs), its latest cluster status,
/// and a change signal that event streams wait on. Thread-safe.
/// </summary>
public sealed class ApiJob
{
    private readonly Lock gate = new();
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource submitted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A new queued job.</summary>
    public ApiJob(string id, string kind, string folder, string traceId, IReadOnlyList<string> outputs)
    {
        (Id, Kind, Folder, TraceId, Outputs) = (id, kind, folder, traceId, outputs);
    }

    /// <summary>The job id (also its id on the cluster).</summary>
    public string Id { get; }

    /// <summary>book or attention.</summary>
    public string Kind { get; }

    /// <summary>The job's folder.</summary>
    public string Folder { get; }

    /// <summary>The job's trace id.</summary>
    public string TraceId { get; }

    /// <summary>The outputs it writes (file names in <see cref="Folder"/>), downloadable once completed.</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>When it was accepted.</summary>
    public DateTime CreatedUtc { get; } = DateTime.UtcNow;

    /// <summary>When it ended.</summary>
    public DateTime? EndedUtc { get; private set; }

    /// <summary>Cancels the job's run.</summary>
    public CancellationTokenSource Cancellation { get; } = new();

    /// <summary>Its state.</summary>
    public ApiJobState State { get; private set; }

    /// <summary>Why it failed.</summary>
    public string? Error { get; private set; }

    /// <summary>Its latest status from the cluster.</summary>
    public JobStatus? Status { get; private set; }

    /// <summary>Bumped on every change.</summary>
    public int Version { get; private set; }

    /// <summary>Whether it has ended.</summary>
    public bool Ended => State is ApiJobState.Completed or ApiJobState.Failed or ApiJobState.Cancelled;

    /// <summary>Completes once the cluster has taken the job (its first status came), or fails with why it did not.</summary>
    public Task Submitted => submitted.Task;

    /// <summary>Records a status from the cluster.</summary>
    public void Report(JobStatus status) => Change(() =>
    {
        submitted.TrySetResult();
        Status = status;
        if (State == ApiJobState.Queued && status.State == JobState.Running) State = ApiJobState.Running;
    });

    /// <summary>Records the end.</summary>
    public void End(ApiJobState state, string? error = null, JobStatus? status = null, Exception? cause = null) => Change(() =>
    {
        if (cause is not null) submitted.TrySetException(cause);
        else submitted.TrySetResult();
        if (Ended) return;
        (State, Error, EndedUtc) = (state, error, DateTime.UtcNow);
        if (status is not null) Status = status;
    });

    /// <summary>Waits until the job changes past <paramref name="seen"/>, or <paramref name="timeout"/> passes.</summary>
    public async Task WaitForChangeAsync(int seen, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task next;
        lock (gate)
        {
            if (Version != seen) return;
            next = changed.Task;
        }
        try
        {
            await next.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A heartbeat: the stream sends the status again.
        }
    }

    private void Change(Action update)
    {
        TaskCompletionSource wake;
        lock (gate)
        {
            update();
            Version++;
            wake = changed;
            changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        wake.TrySetResult();
    }
}
