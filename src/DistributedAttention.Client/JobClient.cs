using DistributedAttention.Abstractions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace DistributedAttention.Client;

/// <summary>
/// Runs jobs on a DistributedAttention cluster. The coordinator (<see cref="IJobGrain"/>) gets
/// only the request and answers with the plan; the inputs go straight to the shards that own
/// them and the outputs come straight from them (<see cref="IShardData"/>), so no tensor passes
/// through the coordinator. Give a job id to make a submission idempotent, and reattach to a
/// job by its id (<see cref="AttachModelAsync"/>) after a client restart. Cancelling the token
/// cancels the job on the cluster. Needs no tensor library: inputs and outputs are
/// <see cref="HostTensor"/>s, token ids and sinks.
/// </summary>
public sealed partial class JobClient
{
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(10);
    private readonly IGrainFactory grains;
    private readonly JobClientOptions settings;
    private readonly int? messageLimit;

    /// <summary>A client over <paramref name="grains"/>, usually the cluster's <c>IClusterClient</c>.</summary>
    /// <param name="grains">Where grains come from.</param>
    /// <param name="options">How to drive jobs (defaults when null).</param>
    /// <param name="maxMessageBytes">The client's message size limit, so that streamed outputs carry several chunks per response; read from the cluster client when null.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public JobClient(IGrainFactory grains, JobClientOptions? options = null, int? maxMessageBytes = null)
    {
        ArgumentNullException.ThrowIfNull(grains);
        settings = options ?? JobClientOptions.Default;
        settings.Validate();
        this.grains = grains;
        messageLimit = maxMessageBytes ?? (grains as IClusterClient)?.ServiceProvider.GetService<IOptions<ClientMessagingOptions>>()?.Value.MaxMessageBodySize;
    }

    /// <summary>Runs the transformer over <paramref name="tokenIds"/> and streams the hidden states, (n, d_model) fp32, to <paramref name="sink"/>.</summary>
    /// <param name="model">The model; its weights are seeded from these options on every shard.</param>
    /// <param name="tokenIds">Token ids in [0, VocabSize).</param>
    /// <param name="options">How to split and run the job.</param>
    /// <param name="sink">Receives the hidden states in order.</param>
    /// <param name="progress">Receives every polled status.</param>
    /// <param name="cancellationToken">Cancels the job on the cluster and throws <see cref="OperationCanceledException"/>.</param>
    /// <param name="jobId">The job's id; submitting again under it (after a client restart) picks the job up where it is. Null makes a new one.</param>
    /// <param name="weights">Trained weights every silo reads at the same path; null seeds them from <paramref name="model"/>.</param>
    /// <exception cref="ArgumentException">The model, tokens or options are invalid, or the job id holds another request; the message names the problem.</exception>
    /// <exception cref="JobFailedException">The job failed on the cluster.</exception>
    /// <exception cref="AdmissionRefusedException">The cluster refused the job: its admission queue is full, or the job cannot fit the silos' memory budgets.</exception>
    /// <exception cref="InvalidDataException">The cluster streamed output that does not fit the job.</exception>
    public async Task<ModelJobResult> RunModelAsync(
        TransformerOptions model, int[] tokenIds, JobOptions options, IModelOutputSink sink, IProgress<JobStatus>? progress, CancellationToken cancellationToken, string? jobId = null, ModelWeights? weights = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenIds);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        model.Validate();
        if (tokenIds.Length == 0) throw new ArgumentException("there are no tokens to run the model on.", nameof(tokenIds));
        var outside = Array.FindIndex(tokenIds, id => id < 0 || id >= model.VocabSize);
        if (outside >= 0) throw new ArgumentException($"token {outside} has id {tokenIds[outside]}, outside the model's vocabulary [0, {model.VocabSize}).", nameof(tokenIds));
        options.Validate(tokenIds.Length);
        cancellationToken.ThrowIfCancellationRequested();

        var request = new JobRequest(new ModelWork(model, tokenIds.Length, weights), options);
        return await RunAsync(request, jobId,
            (plan, shard) => UploadAsync(plan, shard, HostChunks.SplitTokens(tokenIds, plan.Bounds[shard], plan.Bounds[shard + 1], plan.Options.ChunkBytes), cancellationToken),
            (job, plan, status, upload) => ReadModelAsync(job, plan, status, upload, sink, cancellationToken),
            progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One attention call over (batch, heads, n, d) tensors, split across the cluster.</summary>
    /// <param name="spec">The mechanism and its parameters.</param>
    /// <param name="q">(batch, heads, n, d) queries.</param>
    /// <param name="k">(batch, heads, n, d) keys.</param>
    /// <param name="v">(batch, heads, n, dv) values.</param>
    /// <param name="options">How to split and run the job.</param>
    /// <param name="progress">Receives every polled status.</param>
    /// <param name="cancellationToken">Cancels the job on the cluster and throws <see cref="OperationCanceledException"/>.</param>
    /// <param name="jobId">The job's id (see <see cref="RunModelAsync"/>); null makes a new one.</param>
    /// <returns>o (batch, heads, n, dv) and lse (batch, heads, n) where the mechanism defines it.</returns>
    /// <exception cref="ArgumentException">The spec, shapes or options are invalid; the message names the problem.</exception>
    /// <exception cref="JobFailedException">The job failed on the cluster.</exception>
    /// <exception cref="AdmissionRefusedException">The cluster refused the job: its admission queue is full, or the job cannot fit the silos' memory budgets.</exception>
    /// <exception cref="InvalidDataException">The cluster streamed output that does not fit the job.</exception>
    public async Task<AttentionJobResult> RunAttentionAsync(
        AttentionSpec spec, HostTensor q, HostTensor k, HostTensor v, JobOptions options, IProgress<JobStatus>? progress, CancellationToken cancellationToken, string? jobId = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(options);
        var work = new AttentionWork(spec, AttentionShape.Of(q.Shape, k.Shape, v.Shape));
        var request = new JobRequest(work, options);
        request.Validate();
        // Fail before anything moves if a single row cannot fit in a message.
        foreach (var input in work.Inputs) HostChunks.RowsPerChunk(input.RowBytes, options.ChunkBytes, input.Name);
        cancellationToken.ThrowIfCancellationRequested();

        var inputs = new Dictionary<string, HostTensor> { ["q"] = q, ["k"] = k, ["v"] = v };
        foreach (var (name, tensor) in inputs) RequireFinite(name, tensor);
        return await RunAsync(request, jobId,
            (plan, shard) => UploadAsync(plan, shard, plan.Work.Inputs.SelectMany(i => HostChunks.Split(inputs[i.Name], i.Name, i.SequenceDim, plan.Bounds[shard], plan.Bounds[shard + 1], plan.Options.ChunkBytes)), cancellationToken),
            (job, plan, status, upload) => ReadAttentionAsync(job, plan, status, upload, cancellationToken),
            progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reattaches to model job <paramref name="jobId"/> (after a client restart): waits for it to end and streams its hidden states to <paramref name="sink"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such job.</exception>
    /// <exception cref="JobFailedException">The job failed, was cancelled, or never got its inputs (it is still waiting for an upload).</exception>
    public async Task<ModelJobResult> AttachModelAsync(string jobId, IModelOutputSink sink, IProgress<JobStatus>? progress, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        ArgumentNullException.ThrowIfNull(sink);
        var job = Job(jobId);
        var plan = await Retry(() => job.GetPlanAsync(), cancellationToken).ConfigureAwait(false);
        if (plan.Work is not ModelWork) throw new ArgumentException($"job {jobId} is an {plan.Kind} job, not a model job.");
        return await AttachAsync(job, plan, (j, p, s, u) => ReadModelAsync(j, p, s, u, sink, cancellationToken), progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reattaches to attention job <paramref name="jobId"/>: waits for it to end and reads its outputs.</summary>
    /// <exception cref="KeyNotFoundException">No such job.</exception>
    /// <exception cref="JobFailedException">The job failed, was cancelled, or never got its inputs.</exception>
    public async Task<AttentionJobResult> AttachAttentionAsync(string jobId, IProgress<JobStatus>? progress, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        var job = Job(jobId);
        var plan = await Retry(() => job.GetPlanAsync(), cancellationToken).ConfigureAwait(false);
        if (plan.Work is not AttentionWork) throw new ArgumentException($"job {jobId} is a {plan.Kind} job, not an attention job.");
        return await AttachAsync(job, plan, (j, p, s, u) => ReadAttentionAsync(j, p, s, u, cancellationToken), progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Job <paramref name="jobId"/>'s status.</summary>
    /// <exception cref="KeyNotFoundException">No such job.</exception>
    public Task<JobStatus> GetStatusAsync(string jobId) => Job(jobId).GetStatusAsync();

    /// <summary>Cancels job <paramref name="jobId"/> and releases its tensors.</summary>
    public async Task CancelAsync(string jobId)
    {
        var job = Job(jobId);
        await job.CancelAsync().ConfigureAwait(false);
        await ReleaseAsync(job).ConfigureAwait(false);
    }

    private IJobGrain Job(string jobId) => grains.GetGrain<IJobGrain>(jobId);

    private IShardData Shard(JobPlan plan, int shard) => grains.GetGrain<IShardData>($"{plan.JobId}/{shard}");

    /// <summary>Attention over NaN or infinity is undefined: such inputs are refused before anything moves.</summary>
    private static void RequireFinite(string name, HostTensor tensor)
    {
        var (first, count) = (-1, 0L);
        var data = tensor.Data;
        for (var j = 0; j < data.Length; j++)
        {
            if (float.IsFinite(data[j])) continue;
            if (first < 0) first = j;
            count++;
        }
        if (first < 0) return;
        throw new ArgumentException($"tensor '{name}' holds {count} NaN or infinite value(s), the first ({data[first].ToString(System.Globalization.CultureInfo.InvariantCulture)}) at flat index {first}; attention over them is undefined, so the job is refused.");
    }
}
