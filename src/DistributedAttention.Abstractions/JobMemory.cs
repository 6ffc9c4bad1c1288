using DistributedAttention.Contracts;

namespace DistributedAttention.Abstractions;

/// <summary>
/// A job's memory on the silos, estimated from its plan before it runs: admission
/// (<see cref="IAdmissionGrain"/>) keeps every silo's share under its budget with it. The
/// estimate is an upper bound calibrated on peak resident memory measured per token (see
/// docs/reliability.md, "Admission control"): a shard holds its inputs, its layer input and
/// output, its neighbours' copies, and a layer's intermediate tensors, all proportional to its
/// rows; kernels work in bounded blocks, so window width and layer count do not add to it.
/// </summary>
public static class JobMemory
{
    /// <summary>Bytes every shard needs whatever its size: model weights of small models, kernel workspaces, message buffers.</summary>
    public const long ShardOverheadBytes = 32L << 20;

    /// <summary>Estimated peak bytes of each shard of a job split by <paramref name="bounds"/>.</summary>
    /// <param name="work">What the job computes.</param>
    /// <param name="options">How it runs (replicas add copies).</param>
    /// <param name="bounds">P+1 shard bounds.</param>
    public static long[] PerShard(JobWork work, JobOptions options, IReadOnlyList<long> bounds)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(bounds);
        var replicas = options.EffectiveReplicas;
        var shards = bounds.Count - 1;
        var widest = Enumerable.Range(0, shards).Max(s => bounds[s + 1] - bounds[s]);
        var perShard = new long[shards];
        for (var s = 0; s < shards; s++)
        {
            var rows = bounds[s + 1] - bounds[s];
            perShard[s] = Saturate(ShardOverheadBytes + work switch
            {
                ModelWork model => ModelBytes(model.Model, rows, replicas),
                AttentionWork attention => AttentionBytes(attention, rows, widest, replicas),
                PretrainedWork pretrained => PretrainedBytes(pretrained.Model, rows, replicas),
                _ => throw new ArgumentException($"unknown kind of work {work.GetType().Name}."),
            });
        }
        return perShard;
    }

    /// <summary>Estimated peak bytes of the whole job.</summary>
    public static long Total(JobWork work, JobOptions options, IReadOnlyList<long> bounds) =>
        PerShard(work, options, bounds).Aggregate(0L, (sum, b) => Saturate((double)sum + b));

    /// <summary>
    /// Per token: 24 floats per model dimension (hidden states in and out, q, k, v, the attention
    /// output, norms, residuals, and what the allocator keeps between layers), 8 more per copy of
    /// a neighbour's input (the newest two layers are kept), the feed-forward activation, the token id.
    /// </summary>
    private static double ModelBytes(TransformerOptions model, long rows, int replicas)
    {
        double d = model.ModelDim, f = model.FeedForwardDim;
        var weights = 4.0 * model.Layers * ((4 * d * d) + (2 * d * f)) + (4.0 * model.VocabSize * d);
        return (rows * 4.0 * ((d * (24 + (8 * replicas))) + f + 1)) + weights + GlobalBytes(model.LayerAttention.Max(a => a.GlobalPositions.Count), model.Heads, model.HeadDim, model.HeadDim);
    }

    /// <summary>
    /// As <see cref="ModelBytes"/> at the widest of the hidden size and the heads' width (Gemma's
    /// heads are wider than its hidden size), kv heads repeated for the query heads where scored,
    /// the float32 weights (one copy per silo, counted with each shard so the bound holds when
    /// silos hold one shard each), and the output head's blocks of logits.
    /// </summary>
    private static double PretrainedBytes(PretrainedModel model, long rows, int replicas)
    {
        double d = Math.Max(model.HiddenSize, (double)model.Heads * model.HeadDim), f = model.IntermediateSize;
        var head = 3.0 * 64 * model.VocabSize * 4;
        var weightBytes = model.ComputeType == PretrainedModel.BFloat16 ? 2.0 : 4.0;
        return (rows * 4.0 * ((d * (24 + (8 * replicas))) + (2 * f) + 4)) + (weightBytes * model.Parameters) + head;
    }

    /// <summary>
    /// Per position and head: q, k, v three times over (inputs, the kernel's working copies, the
    /// halo), their copies on neighbours, o and lse twice (result and output buffer). Ring
    /// Attention (full) also holds two rotating key/value blocks as large as the widest shard.
    /// </summary>
    private static double AttentionBytes(AttentionWork work, long rows, long widest, int replicas)
    {
        var shape = work.Shape;
        double heads = (double)shape.Batch * shape.Heads, qkv = (2.0 * shape.HeadDim) + shape.ValueDim;
        var bytes = rows * heads * 4.0 * ((qkv * (3 + replicas)) + (2.0 * (shape.ValueDim + 1)));
        if (MechanismRegistry.For(work.Spec.Kind).HoldsRotatingBlocks) bytes += 2.0 * widest * heads * 4.0 * (shape.HeadDim + shape.ValueDim);
        return bytes + GlobalBytes(work.Spec.GlobalPositions.Count, heads, shape.HeadDim, shape.ValueDim);
    }

    /// <summary>Global tokens' keys and values gathered on every shard, and their partial results.</summary>
    private static double GlobalBytes(int globals, double heads, double headDim, double valueDim) => globals * heads * 4.0 * 3 * (headDim + valueDim + 1);

    private static long Saturate(double bytes) => bytes >= long.MaxValue ? long.MaxValue : (long)Math.Ceiling(bytes);
}
