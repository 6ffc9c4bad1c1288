using DistributedAttention.Abstractions;
using DistributedAttention.Diagnostics;

namespace DistributedAttention.Client;

/// <summary>The steps every job takes: submit, upload to the shards, start, watch, read from the shards, release.</summary>
public sealed partial class JobClient
{
    private const int StartAttempts = 3;

    private delegate Task<T> OutputReader<T>(IJobGrain job, JobPlan plan, JobStatus status, double uploadSeconds);

    private async Task<T> RunAsync<T>(JobRequest request, string? jobId, Func<JobPlan, int, Task> upload, OutputReader<T> read, IProgress<JobStatus>? progress, CancellationToken cancellationToken)
        where T : IJobResult
    {
        // The id is chosen here, so a submission repeated after a lost gateway is the same job.
        var id = jobId ?? Guid.NewGuid().ToString("N");
        var job = Job(id);
        using var span = ClientSpans.StartJob(id, request.Work, attached: false);
        return await TracedAsync(span, async () =>
        {
            // The coordinator's run joins this span's trace, also when it resumes elsewhere.
            if (span is not null) RequestContext.Set(JobTrace.RequestContextKey, JobTrace.TraceParentOf(span));
            var plan = await Retry(() => job.SubmitAsync(request), cancellationToken).ConfigureAwait(false);
            RequestContext.Remove(JobTrace.RequestContextKey);
            return await CancelOnAbortAsync(job, async () =>
            {
                var status = await Retry(() => job.GetStatusAsync(), cancellationToken).ConfigureAwait(false);
                progress?.Report(status);
                if (status.State == JobState.Queued) status = await WaitForAdmissionAsync(job, progress, cancellationToken).ConfigureAwait(false);
                RequireOutput(status);
                var clock = System.Diagnostics.Stopwatch.StartNew();
                if (status.State == JobState.Created) await UploadAndStartAsync(job, plan, upload, cancellationToken).ConfigureAwait(false);
                return await FinishAsync(job, plan, read, clock.Elapsed.TotalSeconds, progress, cancellationToken,
                    () => UploadAndStartAsync(job, plan, upload, cancellationToken)).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private async Task<T> AttachAsync<T>(IJobGrain job, JobPlan plan, OutputReader<T> read, IProgress<JobStatus>? progress, CancellationToken cancellationToken)
        where T : IJobResult
    {
        using var span = ClientSpans.StartJob(plan.JobId, plan.Work, attached: true);
        return await TracedAsync(span, async () =>
        {
            var status = await Retry(() => job.GetStatusAsync(), cancellationToken).ConfigureAwait(false);
            if (status.State == JobState.Queued) status = await WaitForAdmissionAsync(job, progress, cancellationToken).ConfigureAwait(false);
            if (status.State == JobState.Created)
                throw new JobFailedException(status with { Error = "never started: its inputs were not all uploaded. Submit it again with its inputs." });
            RequireOutput(status);
            return await CancelOnAbortAsync(job, () => FinishAsync(job, plan, read, 0, progress, cancellationToken), cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>Waits while the cluster's memory is taken by other jobs (admission control queued this one).</summary>
    private async Task<JobStatus> WaitForAdmissionAsync(IJobGrain job, IProgress<JobStatus>? progress, CancellationToken cancellationToken)
    {
        using (ClientSpans.StartPhase("queue"))
        {
            return await JobWatcher.WaitForAdmissionAsync(job, settings, progress, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs a job's flow under its span, and leaves the outcome on it.</summary>
    private static async Task<T> TracedAsync<T>(System.Diagnostics.Activity? span, Func<Task<T>> flow) where T : IJobResult
    {
        try
        {
            var result = await flow().ConfigureAwait(false);
            ClientSpans.End(span, result.Status, null);
            return result;
        }
        catch (Exception e)
        {
            ClientSpans.End(span, (e as JobFailedException)?.Status, e);
            throw;
        }
    }

    /// <summary>A job that completed and whose output was already read and released has nothing left to give.</summary>
    private static void RequireOutput(JobStatus status)
    {
        if (status.State == JobState.Completed && status.Released)
            throw new JobFailedException(status with { Error = "completed earlier and its output was already read and released; submit under a new job id to run it again." });
    }

    /// <summary>
    /// Waits for the job, reads its output and releases it. A job that went back to its upload
    /// (shards lost their inputs with a silo before it was prepared) gets its inputs again through
    /// <paramref name="uploadAgain"/>; a client without them (attached by id) fails clearly.
    /// </summary>
    private async Task<T> FinishAsync<T>(IJobGrain job, JobPlan plan, OutputReader<T> read, double uploadSeconds, IProgress<JobStatus>? progress, CancellationToken cancellationToken, Func<Task>? uploadAgain = null)
    {
        JobStatus status;
        using (ClientSpans.StartPhase("wait"))
        {
            while ((status = await JobWatcher.WaitForOutcomeAsync(job, settings, progress, cancellationToken).ConfigureAwait(false)).State == JobState.Created)
            {
                if (uploadAgain is null)
                    throw new JobFailedException(status with { Error = "its inputs were lost with a silo before it was prepared and must be uploaded again; submit it again with its inputs." });
                await uploadAgain().ConfigureAwait(false);
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        T result;
        using (ClientSpans.StartPhase("download"))
        {
            result = await read(job, plan, status, uploadSeconds).ConfigureAwait(false);
        }
        await ReleaseAsync(job).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// Uploads every shard's inputs, then starts. A shard lost with its silo during the upload
    /// (it refuses rows: it reactivated empty) is named by the start, which makes it rejoin, and
    /// gets its rows again; uploading the same rows twice replaces them.
    /// </summary>
    private async Task UploadAndStartAsync(IJobGrain job, JobPlan plan, Func<JobPlan, int, Task> upload, CancellationToken cancellationToken)
    {
        using var span = ClientSpans.StartPhase("upload");
        var shards = Enumerable.Range(0, plan.Count).ToArray();
        for (var attempt = 1; ; attempt++)
        {
            await Task.WhenAll(shards.Select(async s =>
            {
                try
                {
                    await upload(plan, s).ConfigureAwait(false);
                }
                catch (InvalidOperationException)
                {
                    // Lost with its silo: the start below names it and it gets its rows again.
                }
            })).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            var start = await Retry(() => job.StartAsync(), cancellationToken).ConfigureAwait(false);
            if (start.Started) return;
            if (attempt >= StartAttempts)
                throw new InvalidOperationException($"job {plan.JobId} could not start after {attempt} uploads; inputs are missing: {start.Detail}.");
            shards = start.ShardsMissingInputs;
        }
    }

    private Task UploadAsync(JobPlan plan, int shard, IEnumerable<TensorChunk> chunks, CancellationToken cancellationToken)
    {
        var target = Shard(plan, shard);
        var span = System.Diagnostics.Activity.Current;
        return Pipelined.ForEachAsync(chunks, async chunk =>
        {
            await Retry(() => target.LoadInputAsync(chunk), cancellationToken).ConfigureAwait(false);
            span.AddToTag(AttributeNames.Bytes, chunk.Data.LongLength);
        }, cancellationToken: cancellationToken);
    }

    private Task<T> Retry<T>(Func<Task<T>> call, CancellationToken cancellationToken) => TransientCalls.RetryAsync(call, settings.UnreachableLimit, cancellationToken);

    private Task Retry(Func<Task> call, CancellationToken cancellationToken) => TransientCalls.RetryAsync(call, settings.UnreachableLimit, cancellationToken);

    private async Task<ModelJobResult> ReadModelAsync(IJobGrain job, JobPlan plan, JobStatus status, double uploadSeconds, IModelOutputSink sink, CancellationToken cancellationToken)
    {
        var hidden = plan.Work.Output("hidden");
        var (rows, dim) = (hidden.Shape[0], checked((int)hidden.Shape[1]));
        await sink.BeginAsync(rows, dim, cancellationToken).ConfigureAwait(false);
        var written = 0L;
        await ReadOutputAsync(job, plan, hidden, async chunk =>
        {
            TensorChunkRules.Check(chunk, hidden.Shape, hidden.SequenceDim, 0, hidden.Type);
            await sink.WriteAsync(chunk.RowStart, chunk.Rows, chunk.Data, cancellationToken).ConfigureAwait(false);
            written += chunk.Rows;
        }, cancellationToken).ConfigureAwait(false);
        if (written != rows) throw new InvalidDataException($"the job streamed {written} hidden-state rows for {rows} tokens.");
        await sink.CompleteAsync(cancellationToken).ConfigureAwait(false);
        return new ModelJobResult(plan, status, written, uploadSeconds);
    }

    private async Task<AttentionJobResult> ReadAttentionAsync(IJobGrain job, JobPlan plan, JobStatus status, double uploadSeconds, CancellationToken cancellationToken)
    {
        var outputs = new Dictionary<string, HostTensor>(StringComparer.Ordinal);
        foreach (var output in plan.Work.Outputs)
        {
            var target = HostTensor.Zeros(output.Shape);
            await ReadOutputAsync(job, plan, output, chunk =>
            {
                HostChunks.Scatter(chunk, target, output.SequenceDim);
                return ValueTask.CompletedTask;
            }, cancellationToken).ConfigureAwait(false);
            outputs[output.Name] = target;
        }
        return new AttentionJobResult(plan, status, outputs["o"], outputs.GetValueOrDefault("lse"), uploadSeconds);
    }

    /// <summary>
    /// Streams output <paramref name="output"/> shard by shard, in order, straight from the shards.
    /// A shard that cannot be read (lost with its silo since the job completed) is restored by
    /// the coordinator from a neighbour's copy and read again from the row where it stopped.
    /// </summary>
    private async Task ReadOutputAsync(IJobGrain job, JobPlan plan, TensorLayout output, Func<TensorChunk, ValueTask> consume, CancellationToken cancellationToken)
    {
        var perBatch = StreamBatching.ChunksPerBatch(StreamBatching.OutputChunkBytes(plan.Options.ChunkBytes), messageLimit);
        for (var s = 0; s < plan.Count; s++)
        {
            var (next, end) = (plan.Bounds[s], plan.Bounds[s + 1]);
            for (var restores = 0; next < end;)
            {
                try
                {
                    await foreach (var chunk in Shard(plan, s).ReadOutputAsync(output.Name, next, cancellationToken).WithBatchSize(perBatch).WithCancellation(cancellationToken).ConfigureAwait(false))
                    {
                        if (chunk.Name != output.Name || chunk.RowStart != next || chunk.Rows < 1 || next + chunk.Rows > end)
                            throw new InvalidDataException($"shard {s} sent '{chunk.Name}' rows {chunk.RowStart}..{chunk.RowStart + chunk.Rows - 1}; expected '{output.Name}' from row {next} within {plan.Bounds[s]}..{end - 1}.");
                        await consume(chunk).ConfigureAwait(false);
                        next += chunk.Rows;
                    }
                    if (next != end) throw new InvalidDataException($"shard {s} ended '{output.Name}' at row {next}; its rows end at {end}.");
                }
                catch (Exception e) when (restores < settings.OutputRestores && IsLostShard(e) && !cancellationToken.IsCancellationRequested)
                {
                    restores++;
                    var shard = s;
                    await Retry(() => job.RestoreOutputAsync(shard), cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>A shard unreachable or reactivated empty (not an answer about the request).</summary>
    private static bool IsLostShard(Exception e) => TransientCalls.IsTransient(e) || e is InvalidOperationException;

    /// <summary>
    /// Tells the shards to drop the job's tensors once its output has been read (or it failed).
    /// Best effort: the result is already in hand, and a silo that is gone holds nothing.
    /// </summary>
    private static async Task ReleaseAsync(IJobGrain job)
    {
        try
        {
            await job.ReleaseAsync().WaitAsync(ReleaseTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OrleansException or InvalidOperationException or ArgumentException or KeyNotFoundException)
        {
            // Ignored: the shards' memory is reclaimed when their grains deactivate.
        }
    }

    private static async Task<T> CancelOnAbortAsync<T>(IJobGrain job, Func<Task<T>> run, CancellationToken cancellationToken)
    {
        try
        {
            return await run().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shards hold tensors until told otherwise; tell them even though we are leaving
            // (a job that completed just before the cancellation ignores the cancel, so release too).
            await job.CancelAsync().ConfigureAwait(false);
            await ReleaseAsync(job).ConfigureAwait(false);
            throw;
        }
        catch (JobFailedException)
        {
            await ReleaseAsync(job).ConfigureAwait(false);
            throw;
        }
    }
}
