using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;

namespace DistributedAttention.Client;

/// <summary>Pretrained decoders from a model folder every silo can read.</summary>
public sealed partial class JobClient
{
    /// <summary>
    /// Runs a pretrained decoder over <paramref name="tokenIds"/> split across the cluster: the
    /// hidden states stream to <paramref name="sink"/>, and each shard scores its rows' successors
    /// through the output head (no logits leave a shard).
    /// </summary>
    /// <param name="model">The model folder as every silo sees it.</param>
    /// <param name="tokenIds">Token ids in [0, vocabulary).</param>
    /// <param name="options">How to split and run the job.</param>
    /// <param name="sink">Receives the hidden states in order.</param>
    /// <param name="progress">Receives every polled status.</param>
    /// <param name="cancellationToken">Cancels the job on the cluster.</param>
    /// <param name="jobId">The job's id (see <see cref="RunModelAsync"/>); null makes a new one.</param>
    /// <exception cref="ArgumentException">The model, tokens or options are invalid; the message names the problem.</exception>
    /// <exception cref="JobFailedException">The job failed on the cluster (a silo without the folder, or with another copy of it, fails it saying so).</exception>
    public async Task<PretrainedJobResult> RunPretrainedAsync(
        PretrainedModel model, int[] tokenIds, JobOptions options, IModelOutputSink sink, IProgress<JobStatus>? progress, CancellationToken cancellationToken, string? jobId = null)
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

        // Each row's successor, so every shard scores its own rows; the last has none.
        var targets = new int[tokenIds.Length];
        Array.Copy(tokenIds, 1, targets, 0, tokenIds.Length - 1);
        targets[^1] = -1;
        var request = new JobRequest(new PretrainedWork(model, tokenIds.Length), options);
        return await RunAsync(request, jobId,
            (plan, shard) => UploadAsync(plan, shard,
                HostChunks.SplitTokens(tokenIds, plan.Bounds[shard], plan.Bounds[shard + 1], plan.Options.ChunkBytes)
                    .Concat(HostChunks.SplitTokens(targets, plan.Bounds[shard], plan.Bounds[shard + 1], plan.Options.ChunkBytes, "targets")), cancellationToken),
            (job, plan, status, upload) => ReadPretrainedAsync(job, plan, status, upload, sink, cancellationToken),
            progress, cancellationToken).ConfigureAwait(false);
    }

    private async Task<PretrainedJobResult> ReadPretrainedAsync(IJobGrain job, JobPlan plan, JobStatus status, double uploadSeconds, IModelOutputSink sink, CancellationToken cancellationToken)
    {
        var hidden = await ReadModelAsync(job, plan, status, uploadSeconds, sink, cancellationToken).ConfigureAwait(false);
        var scores = new Dictionary<string, HostTensor>(StringComparer.Ordinal);
        foreach (var name in new[] { "logprob", "entropy" })
        {
            var output = plan.Work.Output(name);
            var target = HostTensor.Zeros(output.Shape);
            await ReadOutputAsync(job, plan, output, chunk =>
            {
                HostChunks.Scatter(chunk, target, output.SequenceDim);
                return ValueTask.CompletedTask;
            }, cancellationToken).ConfigureAwait(false);
            // The last token has no successor: n − 1 scores.
            scores[name] = new HostTensor([hidden.Rows - 1], target.Data[..^1]);
        }
        return new PretrainedJobResult(plan, status, hidden.Rows, uploadSeconds, scores["logprob"], scores["entropy"]);
    }
}
