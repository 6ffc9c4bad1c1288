using DistributedAttention.Checkpoints;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Runtime;
using static TorchSharp.torch;

namespace DistributedAttention.Model.Pretrained;

/// <summary>
/// One layer of a pretrained decoder, in the three steps of <see cref="TransformerLayer"/> so the
/// attention step can run across shards: <see cref="ProjectQkv"/> and <see cref="Finish"/> see one
/// token at a time, <see cref="Attend"/> mixes them with the layer's <see cref="Spec"/>.
/// </summary>
/// <remarks>
/// Per token: h = norm(x); q, k, v = projections of h (k and v at the kv heads); Gemma 3 norms q
/// and k over the head dim; RoPE on both (this layer's frequencies), q times the score scale. After
/// attention: o = o_proj(merged heads) (Gemma: normed again) is added to x; the feed-forward block
/// down(act(gate(m)) · up(m)) of m = norm(h) (Gemma: normed again) is added to that.
/// </remarks>
public sealed class DecoderLayer
{
    private readonly DecoderArchitecture architecture;
    private readonly RotaryEmbedding rope;
    private readonly Tensor inputNorm, qWeight, kWeight, vWeight, oWeight, preFeedForwardNorm, gate, up, down;
    private readonly Tensor? qBias, kBias, vBias, oBias, postAttentionNorm, postFeedForwardNorm, qNorm, kNorm, gateBias, upBias, downBias;

    internal DecoderLayer(DecoderArchitecture architecture, DecoderLayerPlan plan, DecoderWeights weights)
    {
        this.architecture = architecture;
        Plan = plan;
        var p = $"{architecture.TensorPrefix}layers.{plan.Index}.";
        inputNorm = weights[p + "input_layernorm.weight"];
        qWeight = weights[p + "self_attn.q_proj.weight"];
        kWeight = weights[p + "self_attn.k_proj.weight"];
        vWeight = weights[p + "self_attn.v_proj.weight"];
        oWeight = weights[p + "self_attn.o_proj.weight"];
        (qBias, kBias, vBias, oBias) = (weights.Optional(p + "self_attn.q_proj.bias"), weights.Optional(p + "self_attn.k_proj.bias"),
            weights.Optional(p + "self_attn.v_proj.bias"), weights.Optional(p + "self_attn.o_proj.bias"));
        if (architecture.SandwichNorms)
        {
            // Gemma: post_attention_layernorm norms the attention output; the feed-forward block has its own pre and post norms.
            postAttentionNorm = weights[p + "post_attention_layernorm.weight"];
            preFeedForwardNorm = weights[p + "pre_feedforward_layernorm.weight"];
            postFeedForwardNorm = weights[p + "post_feedforward_layernorm.weight"];
        }
        else
        {
            preFeedForwardNorm = weights[p + "post_attention_layernorm.weight"];
        }
        if (architecture.QkNorm) (qNorm, kNorm) = (weights[p + "self_attn.q_norm.weight"], weights[p + "self_attn.k_norm.weight"]);
        (gate, up, down) = (weights[p + "mlp.gate_proj.weight"], weights[p + "mlp.up_proj.weight"], weights[p + "mlp.down_proj.weight"]);
        (gateBias, upBias, downBias) = (weights.Optional(p + "mlp.gate_proj.bias"), weights.Optional(p + "mlp.up_proj.bias"), weights.Optional(p + "mlp.down_proj.bias"));
        rope = new RotaryEmbedding(plan.Rope.InverseFrequencies(architecture.HeadDim));
        // The score scale is folded into the queries; the attention step runs at scale 1.
        Spec = new AttentionSpec
        {
            Kind = plan.SlidingWindow is null ? AttentionKind.Full : AttentionKind.Window,
            Causal = true,
            WindowLeft = plan.WindowLeft,
            WindowRight = 0,
            SoftmaxScale = 1.0,
            LogitSoftCap = architecture.AttentionSoftCap,
        };
    }

    /// <summary>This layer's place and attention in the checkpoint.</summary>
    public DecoderLayerPlan Plan { get; }

    /// <summary>
    /// The attention step: causal full attention, or a causal window of <see cref="DecoderLayerPlan.WindowLeft"/>
    /// keys before the query (Hugging Face's sliding_window W is W keys including the query itself),
    /// soft-capped where the checkpoint says; scale 1 (the queries carry it).
    /// </summary>
    public AttentionSpec Spec { get; }

    /// <summary>Step 1 for tokens at <c>startPosition ..</c>.</summary>
    /// <param name="x">(batch, n, hidden) layer input.</param>
    /// <param name="startPosition">Absolute position of the first token.</param>
    /// <returns>q (batch, heads, n, head_dim) rotated and scaled; k (rotated) and v at (batch, kv heads, n, head_dim). The caller disposes it.</returns>
    public Qkv ProjectQkv(Tensor x, long startPosition)
    {
        ArgumentNullException.ThrowIfNull(x);
        var (batch, n) = (x.shape[0], x.shape[1]);
        if (n <= TransformerLayer.RowBlock) return ProjectQkvBlock(x, startPosition);
        using var scope = NewDisposeScope();
        var (h, kvh, d) = (architecture.Heads, architecture.KvHeads, architecture.HeadDim);
        var q = empty(batch, h, n, d, dtype: x.dtype, device: x.device);
        var k = empty(batch, kvh, n, d, dtype: x.dtype, device: x.device);
        var v = empty(batch, kvh, n, d, dtype: x.dtype, device: x.device);
        for (long start = 0; start < n; start += TransformerLayer.RowBlock)
        {
            var length = Math.Min(TransformerLayer.RowBlock, n - start);
            using var block = NewDisposeScope();
            using var part = ProjectQkvBlock(x.narrow(1, start, length), startPosition + start);
            q.narrow(2, start, length).copy_(part.Q);
            k.narrow(2, start, length).copy_(part.K);
            v.narrow(2, start, length).copy_(part.V);
        }
        return new Qkv(q, k, v).MoveToOuterDisposeScope();
    }

    private Qkv ProjectQkvBlock(Tensor x, long startPosition)
    {
        using var scope = NewDisposeScope();
        var eps = architecture.RmsNormEps;
        var h = MixedPrecision.In(RmsNorm.Apply(x, inputNorm, eps), qWeight);
        var q = SplitHeads(MixedPrecision.Out(nn.functional.linear(h, qWeight, qBias), x), architecture.Heads);
        var k = SplitHeads(MixedPrecision.Out(nn.functional.linear(h, kWeight, kBias), x), architecture.KvHeads);
        var v = SplitHeads(MixedPrecision.Out(nn.functional.linear(h, vWeight, vBias), x), architecture.KvHeads).contiguous();
        if (qNorm is not null)
        {
            q = RmsNorm.Apply(q, qNorm, eps);
            k = RmsNorm.Apply(k, kNorm!, eps);
        }
        q = rope.Apply(q, startPosition, architecture.QueryScale);
        k = rope.Apply(k, startPosition);
        return new Qkv(q, k, v).MoveToOuterDisposeScope();
    }

    /// <summary>Step 2 on one device over the whole sequence in <paramref name="qkv"/> (start position 0).</summary>
    public AttentionResult Attend(Qkv qkv)
    {
        ArgumentNullException.ThrowIfNull(qkv);
        return SingleDeviceAttention.Forward(Spec, qkv.Q, qkv.K, qkv.V);
    }

    /// <summary>Step 3: the attention output into the residual stream, then the feed-forward block.</summary>
    /// <param name="x">(batch, n, hidden) the layer input given to <see cref="ProjectQkv"/>.</param>
    /// <param name="attnOutput">(batch, heads, n, head_dim) the attention output for those tokens.</param>
    /// <returns>(batch, n, hidden). The caller disposes it.</returns>
    public Tensor Finish(Tensor x, Tensor attnOutput)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(attnOutput);
        var (batch, n) = (x.shape[0], x.shape[1]);
        if (n <= TransformerLayer.RowBlock) return FinishBlock(x, attnOutput);
        using var scope = NewDisposeScope();
        var y = empty(batch, n, architecture.HiddenSize, dtype: x.dtype, device: x.device);
        for (long start = 0; start < n; start += TransformerLayer.RowBlock)
        {
            var length = Math.Min(TransformerLayer.RowBlock, n - start);
            using var block = NewDisposeScope();
            using var part = FinishBlock(x.narrow(1, start, length), attnOutput.narrow(2, start, length));
            y.narrow(1, start, length).copy_(part);
        }
        return y.MoveToOuterDisposeScope();
    }

    private Tensor FinishBlock(Tensor x, Tensor attnOutput)
    {
        var (batch, n) = (x.shape[0], x.shape[1]);
        var eps = architecture.RmsNormEps;
        using var scope = NewDisposeScope();
        var merged = attnOutput.transpose(1, 2).reshape(batch, n, architecture.Heads * architecture.HeadDim);
        var o = MixedPrecision.Linear(merged, oWeight, oBias);
        if (postAttentionNorm is not null) o = RmsNorm.Apply(o, postAttentionNorm, eps);
        var h = x.add(o, KeptScalars.One);
        var m = MixedPrecision.In(RmsNorm.Apply(h, preFeedForwardNorm, eps), gate);
        var gated = Activate(MixedPrecision.Out(nn.functional.linear(m, gate, gateBias), x)).mul_(MixedPrecision.Out(nn.functional.linear(m, up, upBias), x));
        var f = MixedPrecision.Linear(gated, down, downBias);
        if (postFeedForwardNorm is not null) f = RmsNorm.Apply(f, postFeedForwardNorm, eps);
        return h.add_(f, KeptScalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>SiLU, or GELU's tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).</summary>
    private Tensor Activate(Tensor x)
    {
        if (architecture.Activation == FeedForwardActivation.Silu) return nn.functional.silu(x);
        using var s = new ScalarScope();
        var inner = x.pow(s[3]).mul_(s[0.044715]).add_(x, KeptScalars.One).mul_(s[Math.Sqrt(2 / Math.PI)]);
        return inner.tanh_().add_(KeptScalars.One, KeptScalars.One).mul_(x).mul_(s[0.5]);
    }

    private static Tensor SplitHeads(Tensor t, int heads) => t.view(t.shape[0], t.shape[1], heads, -1).transpose(1, 2);
}
