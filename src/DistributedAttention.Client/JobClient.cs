using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;
using static TorchSharp.torch;

namespace DistributedAttention.Client;

/// <summary>
/// Runs jobs on a DistributedAttention cluster: plans a job on its coordinator grain, uploads the
/// inputs in bounded chunks, starts it, polls its status, streams the output back in order and
/// then releases the job's tensors on the shards. Cancelling the token cancels the job on the
/// cluster too. Output streams carry a few chunks per response (<see cref="StreamBatching"/>):
/// Orleans would otherwise batch up to 100 chunks into one, past the message size limit.
/// </summary>
public sealed class JobClient
{
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(10);
    private readonly IGrainFactory grains;
    private readonly JobClientOptions settings;
    private readonly int? messageLimit;

    /// <summary>A client over <paramref name="grains"/>, usually the cluster's <c>IClusterClient</c>.</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public JobClient(IGrainFactory grains, JobClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(grains);
        settings = options ?? JobClientOptions.Default;
        settings.Validate();
        this.grains = grains;
        // Streamed output may carry several chunks per response when the client's message size limit is known.
        messageLimit = (grains as IClusterClient)?.ServiceProvider.GetService<IOptions<ClientMessagingOptions>>()?.Value.MaxMessageBodySize;
    }

    /// <summary>Runs the transformer over <paramref name="tokenIds"/> and streams the hidden states, (n, d_model) fp32, to <paramref name="sink"/>.</summary>
    /// <param name="model">The model; its weights are seeded from these options on every shard.</param>
    /// <param name="tokenIds">Token ids in [0, VocabSize).</param>
    /// <param name="options">How to split and run the job.</param>
    /// <param name="sink">Receives the hidden states in order.</param>
    /// <param name="progress">Receives every polled status.</param>
    /// <param name="cancellationToken">Cancels the job on the cluster and throws <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="ArgumentException">The model, tokens or options are invalid; the message names the problem.</exception>
    /// <exception cref="JobFailedException">The job failed on the cluster.</exception>
    /// <exception cref="InvalidDataException">The cluster streamed output that does not fit the job.</exception>
    public async Task<ModelJobResult> RunModelAsync(
        TransformerOptions model, int[] tokenIds, JobOptions options, IModelOutputSink sink, IProgress<JobStatus>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenIds);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        model.Validate();
        if (tokenIds.Length == 0) throw new ArgumentException("there are no tokens to run the model on.", nameof(tokenIds));
        var outside = Array.FindIndex(tokenIds, id => id < 0 || id >= model.VocabSize);
        if (outside >= 0) throw new ArgumentException($"token {outside} has id {tokenIds[outside]}, outside the model's vocabulary [0, {model.VocabSize}).", nameof(tokenIds));
        CheckOptions(options, tokenIds.Length);
        cancellationToken.ThrowIfCancellationRequested();

        var job = grains.GetGrain<IJobGrain>(Guid.NewGuid().ToString("N"));
        var plan = await job.CreateModelJobAsync(new ModelJobRequest(model.ToJson(), tokenIds.Length, options)).ConfigureAwait(false);
        return await CancelOnAbortAsync(job, async () =>
        {
            await UploadTokensAsync(job, tokenIds, cancellationToken).ConfigureAwait(false);
            var status = await RunAsync(job, progress, cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();

            var rows = new OutputAssembler("hidden", [tokenIds.Length, model.ModelDim], sequenceDim: 0);
            await sink.BeginAsync(tokenIds.Length, model.ModelDim, cancellationToken).ConfigureAwait(false);
            await foreach (var chunk in job.ReadOutputAsync("hidden", cancellationToken).WithBatchSize(StreamBatching.ChunksPerBatch(options.ChunkBytes, messageLimit)).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                var start = rows.Rows;
                var count = rows.Check(chunk);
                await sink.WriteAsync(start, count, chunk.Data, cancellationToken).ConfigureAwait(false);
            }
            if (rows.Rows != tokenIds.Length) throw new InvalidDataException($"the job streamed {rows.Rows} hidden-state rows for {tokenIds.Length} tokens.");
            await sink.CompleteAsync(cancellationToken).ConfigureAwait(false);
            await ReleaseAsync(job).ConfigureAwait(false);
            return new ModelJobResult(plan, status, rows.Rows);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One attention call over (batch, heads, n, d) tensors, split across the cluster.</summary>
    /// <param name="spec">The mechanism and its parameters.</param>
    /// <param name="q">(batch, heads, n, d) queries, any floating dtype (sent as fp32).</param>
    /// <param name="k">(batch, heads, n, d) keys.</param>
    /// <param name="v">(batch, heads, n, dv) values.</param>
    /// <param name="options">How to split and run the job.</param>
    /// <param name="progress">Receives every polled status.</param>
    /// <param name="cancellationToken">Cancels the job on the cluster and throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>o (batch, heads, n, dv) and lse (batch, heads, n) where the mechanism defines it. The caller disposes the result.</returns>
    /// <exception cref="ArgumentException">The spec, shapes or options are invalid; the message names the problem.</exception>
    /// <exception cref="JobFailedException">The job failed on the cluster.</exception>
    /// <exception cref="InvalidDataException">The cluster streamed output that does not fit the job.</exception>
    public async Task<AttentionJobResult> RunAttentionAsync(
        AttentionSpec spec, Tensor q, Tensor k, Tensor v, JobOptions options, IProgress<JobStatus>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(options);
        spec.Validate();
        var shape = AttentionShape.Of(q.shape, k.shape, v.shape);
        foreach (var (name, t) in new[] { ("q", q), ("k", k), ("v", v) })
        {
            if (!t.is_floating_point()) throw new ArgumentException($"tensor '{name}' must be floating point; got {t.dtype}.");
        }
        CheckOptions(options, shape.Length);
        // Fail before anything moves if a single row cannot fit in a message.
        TensorChunks.RowsPerChunk(shape.Batch * shape.Heads * Math.Max(shape.HeadDim, shape.ValueDim) * sizeof(float), options.ChunkBytes, "q/k/v");
        cancellationToken.ThrowIfCancellationRequested();

        var job = grains.GetGrain<IJobGrain>(Guid.NewGuid().ToString("N"));
        var request = new AttentionJobRequest(spec.ToJson(), shape.Batch, shape.Heads, shape.Length, shape.HeadDim, shape.ValueDim, options);
        var plan = await job.CreateAttentionJobAsync(request).ConfigureAwait(false);
        return await CancelOnAbortAsync(job, async () =>
        {
            await UploadAttentionInputsAsync(plan, q, k, v, options.ChunkBytes, cancellationToken).ConfigureAwait(false);
            var status = await RunAsync(job, progress, cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();

            using var o = new OutputAssembler("o", [shape.Batch, shape.Heads, shape.Length, shape.ValueDim], sequenceDim: 2);
            await foreach (var chunk in job.ReadOutputAsync("o", cancellationToken).WithBatchSize(StreamBatching.ChunksPerBatch(options.ChunkBytes, messageLimit)).WithCancellation(cancellationToken).ConfigureAwait(false)) o.Add(chunk);
            using var lse = new OutputAssembler("lse", [shape.Batch, shape.Heads, shape.Length], sequenceDim: 2);
            await foreach (var chunk in job.ReadOutputAsync("lse", cancellationToken).WithBatchSize(StreamBatching.ChunksPerBatch(options.ChunkBytes, messageLimit)).WithCancellation(cancellationToken).ConfigureAwait(false)) lse.Add(chunk);

            var output = o.Finish() ?? throw new InvalidDataException("the job streamed no rows of output 'o'.");
            var result = new AttentionJobResult(plan, status, output, lse.Finish());
            await ReleaseAsync(job).ConfigureAwait(false);
            return result;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static void CheckOptions(JobOptions options, long length)
    {
        if (options.Shards < 1) throw new ArgumentException($"shards must be >= 1 (got {options.Shards}).");
        if (options.Shards > length) throw new ArgumentException($"{options.Shards} shards for a sequence of {length} positions; every shard needs at least one.");
        if (options.ChunkBytes < 1) throw new ArgumentException($"chunk bytes must be >= 1 (got {options.ChunkBytes}).");
        if (options.ShardSizes is { } sizes && (sizes.Length != options.Shards || sizes.Any(s => s < 1) || sizes.Sum() != length))
        {
            throw new ArgumentException($"shard sizes [{string.Join(", ", sizes)}] must be {options.Shards} positive sizes summing to {length}.");
        }
    }

    private async Task UploadTokensAsync(IJobGrain job, int[] tokenIds, CancellationToken cancellationToken)
    {
        var step = settings.TokenChunkBytes / sizeof(int);
        for (var offset = 0; offset < tokenIds.Length; offset += step)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(step, tokenIds.Length - offset);
            await job.AppendTokensAsync(offset, TensorChunks.TokenBytes(tokenIds, offset, count)).ConfigureAwait(false);
        }
    }

    // Inputs go straight to the shard grains: the coordinator stays off the data path.
    private Task UploadAttentionInputsAsync(JobPlan plan, Tensor q, Tensor k, Tensor v, int chunkBytes, CancellationToken cancellationToken)
    {
        var uploads = Enumerable.Range(0, plan.Bounds.Length - 1).Select(async shard =>
        {
            var grain = grains.GetGrain<IShardGrain>($"{plan.JobId}/{shard}");
            var (start, end) = (plan.Bounds[shard], plan.Bounds[shard + 1]);
            var chunks = new[] { ("q", q), ("k", k), ("v", v) }.SelectMany(input => TensorChunks.Split(input.Item2, input.Item1, sequenceDim: 2, start, end, chunkBytes));
            await Pipelined.ForEachAsync(chunks, grain.LoadInputAsync, cancellationToken: cancellationToken).ConfigureAwait(false);
        });
        return Task.WhenAll(uploads);
    }

    private async Task<JobStatus> RunAsync(IJobGrain job, IProgress<JobStatus>? progress, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await job.StartAsync().ConfigureAwait(false);
        return await JobWatcher.WaitAsync(job, settings.PollInterval, progress, cancellationToken).ConfigureAwait(false);
    }

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
        catch (Exception e) when (e is TimeoutException or OrleansException or InvalidOperationException or ArgumentException)
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
