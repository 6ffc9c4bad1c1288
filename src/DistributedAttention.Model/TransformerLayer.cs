using DistributedAttention.Core.Runtime;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DistributedAttention.Model;

/// <summary>
/// One pre-norm transformer layer, split into three public steps so a distributed runtime can
/// run the attention step elsewhere (e.g. across a ring of shards):
/// <list type="number">
/// <item><see cref="ProjectQkv"/>: LayerNorm → q/k/v projections → heads → RoPE on q and k (per token).</item>
/// <item><see cref="Attend"/>: <see cref="SingleDeviceAttention.Forward"/> with this layer's <see cref="AttentionStepSpec"/> (mixes tokens).</item>
/// <item><see cref="Finish"/>: merge heads → o_proj → residual → LayerNorm → FFN → residual (per token).</item>
/// </list>
/// Steps 1 and 3 see one token at a time, so running them on any slice of the sequence gives
/// that slice of the whole-sequence result.
/// </summary>
public sealed class TransformerLayer : nn.Module<Tensor, long, Tensor>
{
    private readonly LayerNorm attnNorm;
    private readonly AttentionProjections attn;
    private readonly LayerNorm ffnNorm;
    private readonly FeedForward ffn;
    private readonly RotaryEmbedding rope;
    private readonly bool scalesQueries;

    /// <summary>Creates layer <paramref name="index"/> of a model with <paramref name="options"/> (weights uninitialised until the model initialises them).</summary>
    public TransformerLayer(TransformerOptions options, int index) : base(nameof(TransformerLayer))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (index < 0 || index >= options.Layers) throw new ArgumentOutOfRangeException(nameof(index), index, $"layer index must be in [0, {options.Layers}).");
        Index = index;
        Spec = options.LayerAttention[index];
        if (Spec is { Kind: AttentionKind.Routing, Centroids.Count: > 0 } && Spec.Centroids.Count != Spec.Clusters * options.HeadDim)
            throw new ArgumentException($"layer {index}: routing centroids hold {Spec.Centroids.Count} numbers, not {Spec.Clusters} clusters of the head dimension {options.HeadDim}.");
        Heads = options.Heads;
        HeadDim = options.HeadDim;
        ModelDim = options.ModelDim;
        attnNorm = nn.LayerNorm(options.ModelDim, options.LayerNormEps);
        attn = new AttentionProjections(options.ModelDim);
        ffnNorm = nn.LayerNorm(options.ModelDim, options.LayerNormEps);
        ffn = new FeedForward(options.ModelDim, options.FeedForwardDim);
        rope = new RotaryEmbedding(options.HeadDim, options.RopeBase);
        scalesQueries = Spec.Kind != AttentionKind.Performer;
        QueryScale = scalesQueries ? Spec.SoftmaxScale ?? 1.0 / Math.Sqrt(options.HeadDim) : 1.0;
        register_module("attn_norm", attnNorm);
        register_module("attn", attn);
        register_module("ffn_norm", ffnNorm);
        register_module("ffn", ffn);
    }

    /// <summary>Sets a routing layer's centroids (Clusters × head dim numbers, row-major), e.g. the learned ones of a checkpoint.</summary>
    /// <exception cref="InvalidOperationException">This layer does not route.</exception>
    /// <exception cref="ArgumentException">The numbers are not Clusters rows of the head dimension.</exception>
    public void UseRoutingCentroids(IReadOnlyList<float> centroids)
    {
        ArgumentNullException.ThrowIfNull(centroids);
        if (Spec.Kind != AttentionKind.Routing) throw new InvalidOperationException($"layer {Index} is {Spec.Kind} attention; only routing layers have centroids.");
        if (centroids.Count != Spec.Clusters * HeadDim)
            throw new ArgumentException($"layer {Index}: {centroids.Count} centroid numbers, not {Spec.Clusters} clusters of the head dimension {HeadDim}.", nameof(centroids));
        Spec = Spec with { Centroids = [.. centroids] };
    }

    /// <summary>Position of this layer in the model.</summary>
    public int Index { get; }

    /// <summary>
    /// The attention mechanism of this layer. A routing layer's centroids move during training
    /// (<see cref="RoutingCentroidLearner"/>); the model's <see cref="TransformerModel.CurrentOptions"/> carry them.
    /// </summary>
    public AttentionSpec Spec { get; private set; }

    /// <summary>
    /// The factor <see cref="ProjectQkv"/> has already applied to the queries: the softmax scale,
    /// folded into the rotary step so the attention step makes no scaled copy of q. 1 for Performer,
    /// whose feature map scales queries and keys itself.
    /// </summary>
    public double QueryScale { get; }

    /// <summary>
    /// The spec the attention step runs with on <see cref="ProjectQkv"/>'s output: <see cref="Spec"/>
    /// with the softmax scale that is already in the queries taken out (1).
    /// </summary>
    public AttentionSpec AttentionStepSpec => scalesQueries ? Spec with { SoftmaxScale = 1.0 } : Spec;

    /// <summary>Attention heads.</summary>
    public int Heads { get; }

    /// <summary>Per-head dimension.</summary>
    public int HeadDim { get; }

    /// <summary>Hidden size d_model.</summary>
    public int ModelDim { get; }

    /// <summary>Step 1: queries, keys and values of the tokens at <c>startPosition .. startPosition + n - 1</c>.</summary>
    /// <param name="x">(batch, n, d_model) layer input.</param>
    /// <param name="startPosition">Absolute position of the first token (RoPE angles depend on it).</param>
    /// <returns>q, k, v each (batch, heads, n, head_dim); q and k rotated, q also multiplied by <see cref="QueryScale"/>. The caller disposes them.</returns>
    public Qkv ProjectQkv(Tensor x, long startPosition)
    {
        CheckHidden(x, nameof(x));
        var (batch, n) = (x.shape[0], x.shape[1]);
        if (n <= RowBlock) return ProjectQkvBlock(x, startPosition);
        using var scope = NewDisposeScope();
        var q = empty(batch, Heads, n, HeadDim, dtype: x.dtype, device: x.device);
        var k = empty(batch, Heads, n, HeadDim, dtype: x.dtype, device: x.device);
        var v = empty(batch, Heads, n, HeadDim, dtype: x.dtype, device: x.device);
        for (long start = 0; start < n; start += RowBlock)
        {
            var length = Math.Min(RowBlock, n - start);
            using var block = NewDisposeScope();
            using var part = ProjectQkvBlock(x.narrow(1, start, length), startPosition + start);
            q.narrow(2, start, length).copy_(part.Q);
            k.narrow(2, start, length).copy_(part.K);
            v.narrow(2, start, length).copy_(part.V);
        }
        return new Qkv(q, k, v).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Rows per block of the per-token steps (<see cref="ProjectQkv"/>, <see cref="Finish"/>). On a whole
    /// shard (10^5+ rows) each op of those steps would stream a fresh tensor of the shard's size through
    /// memory, with page faults on every allocation; blocks this size stay in cache and reuse their
    /// allocations, which made both steps over 10× faster on CPU (docs/benchmarks.md, "One layer, step by step").
    /// </summary>
    public const int RowBlock = 8192;

    private Qkv ProjectQkvBlock(Tensor x, long startPosition)
    {
        using var scope = NewDisposeScope();
        var h = attnNorm.forward(x);
        var q = rope.Apply(SplitHeads(attn.QProj.forward(h)), startPosition, QueryScale);
        var k = rope.Apply(SplitHeads(attn.KProj.forward(h)), startPosition);
        var v = SplitHeads(attn.VProj.forward(h)).contiguous();
        return new Qkv(q, k, v).MoveToOuterDisposeScope();
    }

    /// <summary>Step 2 on one device: this layer's attention over the whole sequence in <paramref name="qkv"/>.</summary>
    /// <param name="qkv">Output of <see cref="ProjectQkv"/> for the whole sequence (start position 0).</param>
    /// <returns>Output (batch, heads, n, head_dim) and lse. The caller disposes it.</returns>
    public AttentionResult Attend(Qkv qkv)
    {
        ArgumentNullException.ThrowIfNull(qkv);
        return SingleDeviceAttention.Forward(AttentionStepSpec, qkv.Q, qkv.K, qkv.V);
    }

    /// <summary>Step 3: merges the attention output into the residual stream and applies the feed-forward block.</summary>
    /// <param name="x">(batch, n, d_model) the same layer input given to <see cref="ProjectQkv"/>.</param>
    /// <param name="attnOutput">(batch, heads, n, head_dim) attention output for those tokens.</param>
    /// <returns>(batch, n, d_model) layer output. The caller disposes it.</returns>
    public Tensor Finish(Tensor x, Tensor attnOutput)
    {
        CheckHidden(x, nameof(x));
        var (batch, n) = (x.shape[0], x.shape[1]);
        if (attnOutput.dim() != 4 || attnOutput.shape[0] != batch || attnOutput.shape[1] != Heads || attnOutput.shape[2] != n || attnOutput.shape[3] != HeadDim)
        {
            throw new ArgumentException(
                $"attention output must be (batch {batch}, heads {Heads}, n {n}, head dim {HeadDim}); got [{string.Join(", ", attnOutput.shape)}].",
                nameof(attnOutput));
        }
        if (n <= RowBlock) return FinishBlock(x, attnOutput);
        using var scope = NewDisposeScope();
        var y = empty(batch, n, ModelDim, dtype: x.dtype, device: x.device);
        for (long start = 0; start < n; start += RowBlock)
        {
            var length = Math.Min(RowBlock, n - start);
            using var block = NewDisposeScope();
            using var part = FinishBlock(x.narrow(1, start, length), attnOutput.narrow(2, start, length));
            y.narrow(1, start, length).copy_(part);
        }
        return y.MoveToOuterDisposeScope();
    }

    private Tensor FinishBlock(Tensor x, Tensor attnOutput)
    {
        var (batch, n) = (x.shape[0], x.shape[1]);
        using var scope = NewDisposeScope();
        // merge heads: (batch, heads, n, hd) -> (batch, n, d_model)
        var merged = attnOutput.transpose(1, 2).reshape(batch, n, ModelDim);
        var h = x.add(attn.OProj.forward(merged), KeptScalars.One);
        var y = h.add(ffn.forward(ffnNorm.forward(h)), KeptScalars.One);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>All three steps on one device for the tokens at <c>startPosition ..</c>.</summary>
    /// <remarks>
    /// The attention step sees only these tokens, and the spec's positions (global tokens,
    /// BigBird blocks, XL segments) count from the first of them. For one slice of a longer
    /// sequence, run the steps separately and do the attention over the whole sequence.
    /// </remarks>
    /// <param name="x">(batch, n, d_model) layer input.</param>
    /// <param name="startPosition">Absolute position of the first token.</param>
    /// <returns>(batch, n, d_model). The caller disposes it.</returns>
    public override Tensor forward(Tensor x, long startPosition)
    {
        using var scope = NewDisposeScope();
        AttentionResult attention;
        using (var qkv = ProjectQkv(x, startPosition))
        {
            attention = Attend(qkv);
            // A training step (gradients recorded) moves a routing layer's centroids; evaluation never does.
            if (Spec.Kind == AttentionKind.Routing && training && is_grad_enabled())
                Spec = Spec with { Centroids = RoutingCentroidLearner.Update(Spec, qkv.Q, qkv.K) };
        }
        using (attention)
        {
            return Finish(x, attention.Output).MoveToOuterDisposeScope();
        }
    }

    /// <summary>(batch, n, d_model) -> (batch, heads, n, head_dim).</summary>
    private Tensor SplitHeads(Tensor t) => t.view(t.shape[0], t.shape[1], Heads, HeadDim).transpose(1, 2);

    private void CheckHidden(Tensor x, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (x.dim() != 3 || x.shape[2] != ModelDim)
        {
            throw new ArgumentException($"layer input must be (batch, n, {ModelDim}); got [{string.Join(", ", x.shape)}].", name);
        }
    }
}
