using System.Collections.Concurrent;
using System.Diagnostics;
using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Diagnostics;
using DistributedAttention.Pipeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace DistributedAttention.Http;

/// <summary>
/// The jobs this API process submitted: each runs in the background through the same job code
/// as the command line (<see cref="BookJob"/>, <see cref="AttentionJob"/>), writing into its own
/// folder, its progress kept for status and event streams. Disposing cancels what still runs.
/// </summary>
public sealed class ApiJobs(IClusterAccess cluster, IOptions<ApiOptions> options, ILogger<ApiJobs> logger, ILocalBookWork? local = null) : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, ApiJob> jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> work = new(StringComparer.Ordinal);

    /// <summary>The cluster the jobs run on.</summary>
    public IClusterAccess Cluster => cluster;

    /// <summary>Job <paramref name="id"/>, if this process submitted it.</summary>
    public ApiJob? Find(string id) => jobs.GetValueOrDefault(id);

    /// <summary>Every job this process submitted, newest first.</summary>
    public IEnumerable<ApiJob> All => jobs.Values.OrderByDescending(j => j.CreatedUtc);

    /// <summary>A new, empty folder for job <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentException">This process already has a job with that id.</exception>
    public string CreateFolder(string id)
    {
        if (jobs.ContainsKey(id)) throw new ArgumentException($"job '{id}' already exists; use another job-id.");
        var folder = Path.Combine(options.Value.DataDirectory, id);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>Starts a prepared book job in the background.</summary>
    public ApiJob StartBook(string id, string folder, PreparedBook book, JobOptions split)
    {
        var info = new ClusterInfo(0, cluster.Description);
        return Start(id, "book", folder, BookJobFiles.All, async (progress, token) =>
            (await BookJob.RunAsync(cluster.Jobs, book, split, info with { Silos = await cluster.ActiveSilosAsync(token).ConfigureAwait(false) }, folder, id, progress, token, local: local).ConfigureAwait(false)).Job);
    }

    /// <summary>Starts a prepared pretrained book job in the background.</summary>
    public ApiJob StartPretrainedBook(string id, string folder, PreparedPretrainedBook book, JobOptions split)
    {
        var info = new ClusterInfo(0, cluster.Description);
        return Start(id, "book", folder, BookJobFiles.AllPretrained, async (progress, token) =>
            (await PretrainedBookJob.RunAsync(cluster.Jobs, book, split, info with { Silos = await cluster.ActiveSilosAsync(token).ConfigureAwait(false) }, folder, id, progress, token, local: local).ConfigureAwait(false)).Job);
    }

    /// <summary>Starts an attention job on the uploaded <paramref name="input"/> in the background.</summary>
    public ApiJob StartAttention(string id, string folder, string input, AttentionSpec spec, JobOptions split) =>
        Start(id, "attention", folder, [AttentionJob.OutputFile], async (progress, token) =>
            await AttentionJob.RunAsync(cluster.Jobs, spec, input, Path.Combine(folder, AttentionJob.OutputFile), split, id, progress, token).ConfigureAwait(false));

    /// <summary>
    /// Waits (up to <paramref name="timeout"/>) until the cluster has taken <paramref name="job"/>:
    /// admitted, queued, or refused. A refused job is forgotten here, so its id can be used again.
    /// </summary>
    /// <exception cref="AdmissionRefusedException">The cluster refused it (queue full, or too large for the silos' budgets).</exception>
    public async Task WaitForSubmissionAsync(ApiJob job, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        try
        {
            await job.Submitted.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (AdmissionRefusedException)
        {
            jobs.TryRemove(job.Id, out _);
            work.TryRemove(job.Id, out _);
            throw;
        }
        catch (TimeoutException)
        {
            // Still submitting (a slow cluster): the job's status tells the rest.
        }
    }

    /// <summary>Cancels <paramref name="job"/> on the cluster; false when it had already ended.</summary>
    public async Task<bool> CancelAsync(ApiJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.Ended) return false;
        await job.Cancellation.CancelAsync().ConfigureAwait(false);
        if (work.TryGetValue(job.Id, out var running)) await running.WaitAsync(StopTimeout).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        job.End(ApiJobState.Cancelled, "cancelled on request.");
        return true;
    }

    /// <summary>
    /// Deletes the jobs that ended more than <see cref="ApiOptions.JobRetention"/> before
    /// <paramref name="now"/>: their folders and their entries here (the cluster still answers
    /// their status). Returns the ids deleted.
    /// </summary>
    public IReadOnlyList<string> Sweep(DateTime now)
    {
        var cutoff = now - options.Value.JobRetention;
        var expired = jobs.Values.Where(j => j.EndedUtc < cutoff).ToArray();
        foreach (var job in expired)
        {
            jobs.TryRemove(job.Id, out _);
            work.TryRemove(job.Id, out _);
            try
            {
                if (Directory.Exists(job.Folder)) Directory.Delete(job.Folder, recursive: true);
            }
            catch (IOException e)
            {
                logger.LogWarning(e, "API job {Job}: its folder could not be deleted", job.Id);
            }
        }
        return [.. expired.Select(j => j.Id)];
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var job in jobs.Values.Where(j => !j.Ended)) await job.Cancellation.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(work.Values).WaitAsync(StopTimeout).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
    }

    private ApiJob Start(string id, string kind, string folder, IReadOnlyList<string> outputs, Func<IProgress<JobStatus>, CancellationToken, Task<IJobResult>> run)
    {
        // The job joins the request's trace (a new one when the request has none), so the 202 can name it.
        var traceParent = JobTrace.TraceParentOf(Activity.Current);
        var job = new ApiJob(id, kind, folder, JobTrace.TraceIdOf(traceParent), outputs);
        if (!jobs.TryAdd(id, job)) throw new ArgumentException($"job '{id}' already exists; use another job-id.");
        work[id] = Task.Run(async () =>
        {
            // The coordinator files the job under this trace (the job client puts its own span there when it is traced: the same trace).
            RequestContext.Set(JobTrace.RequestContextKey, traceParent);
            try
            {
                var result = await run(new ReportTo(job), job.Cancellation.Token).ConfigureAwait(false);
                job.End(ApiJobState.Completed, status: result.Status);
            }
            catch (OperationCanceledException) when (job.Cancellation.IsCancellationRequested)
            {
                job.End(ApiJobState.Cancelled, "cancelled on request.");
            }
            catch (JobFailedException e)
            {
                job.End(e.Status.State == JobState.Cancelled ? ApiJobState.Cancelled : ApiJobState.Failed, e.Message, e.Status);
            }
            catch (AdmissionRefusedException e)
            {
                logger.LogWarning("API job {Job} refused by the cluster: {Reason}", id, e.Message);
                job.End(ApiJobState.Failed, e.Message, cause: e);
            }
            catch (Exception e)
            {
                logger.LogError(e, "API job {Job} failed", id);
                job.End(ApiJobState.Failed, e.Message);
            }
        });
        return job;
    }

    /// <summary>Progress straight into the job (not through a synchronization context).</summary>
    private sealed class ReportTo(ApiJob job) : IProgress<JobStatus>
    {
        public void Report(JobStatus value) => job.Report(value);
    }
}
