namespace DistributedAttention.Checkpoints;

/// <summary>The feed-forward activation (config.json's <c>hidden_act</c> / <c>hidden_activation</c>).</summary>
public enum FeedForwardActivation
{
    /// <summary><c>silu</c>: SwiGLU (Llama, Mistral, Qwen2).</summary>
    Silu,

    /// <summary><c>gelu_pytorch_tanh</c>: GeGLU with the tanh approximation of GELU (Gemma).</summary>
    GeluTanh,
}

/// <summary>
/// A decoder-only transformer as a Hugging Face config.json defines it, in the terms the runtime
/// needs: shapes, each layer's attention, the norms and scales of the family. Read by
/// <see cref="HuggingFaceConfig.Parse(string, string)"/>; every field that changes the math is here or
/// was refused there.
/// </summary>
public sealed record DecoderArchitecture
{
    /// <summary>The family.</summary>
    public required ModelFamily Family { get; init; }

    /// <summary>config.json's <c>model_type</c> as written.</summary>
    public required string ModelType { get; init; }

    /// <summary>Hidden size (<c>hidden_size</c>).</summary>
    public required int HiddenSize { get; init; }

    /// <summary>Query heads (<c>num_attention_heads</c>).</summary>
    public required int Heads { get; init; }

    /// <summary>Key/value heads (<c>num_key_value_heads</c>; divides <see cref="Heads"/>).</summary>
    public required int KvHeads { get; init; }

    /// <summary>Per-head dimension (<c>head_dim</c>, by default hidden / heads).</summary>
    public required int HeadDim { get; init; }

    /// <summary>Feed-forward width (<c>intermediate_size</c>).</summary>
    public required int IntermediateSize { get; init; }

    /// <summary>Vocabulary size (<c>vocab_size</c>).</summary>
    public required int VocabSize { get; init; }

    /// <summary>RMSNorm epsilon (<c>rms_norm_eps</c>).</summary>
    public required double RmsNormEps { get; init; }

    /// <summary>The layers in order.</summary>
    public required IReadOnlyList<DecoderLayerPlan> Layers { get; init; }

    /// <summary>Whether the output head is the embedding (<c>tie_word_embeddings</c>).</summary>
    public required bool TiedEmbeddings { get; init; }

    /// <summary>Biases on the q, k and v projections (Qwen2; Llama's <c>attention_bias</c>).</summary>
    public bool QkvBias { get; init; }

    /// <summary>A bias on the output projection (Llama's <c>attention_bias</c>).</summary>
    public bool OutputBias { get; init; }

    /// <summary>Biases on the feed-forward projections (Llama's <c>mlp_bias</c>).</summary>
    public bool MlpBias { get; init; }

    /// <summary>The feed-forward activation.</summary>
    public FeedForwardActivation Activation { get; init; } = FeedForwardActivation.Silu;

    /// <summary>Gemma's RMSNorm: the weight is stored as w and applied as (1 + w).</summary>
    public bool NormAddsOne { get; init; }

    /// <summary>Gemma's sandwich norms: the attention and feed-forward outputs are normed before their residual adds.</summary>
    public bool SandwichNorms { get; init; }

    /// <summary>Gemma 3's QK-norm: an RMSNorm over the head dim on queries and keys before RoPE.</summary>
    public bool QkNorm { get; init; }

    /// <summary>Embeddings are multiplied by this (Gemma: √hidden); 1 otherwise.</summary>
    public double EmbeddingScale { get; init; } = 1;

    /// <summary>The score scale: 1/√head_dim, or Gemma's <c>query_pre_attn_scalar</c>^(−1/2).</summary>
    public required double QueryScale { get; init; }

    /// <summary>Soft-cap of the attention scores (Gemma 2's <c>attn_logit_softcapping</c>); null: none.</summary>
    public double? AttentionSoftCap { get; init; }

    /// <summary>Soft-cap of the output logits (<c>final_logit_softcapping</c>); null: none.</summary>
    public double? FinalSoftCap { get; init; }

    /// <summary>The positions the model was trained for (<c>max_position_embeddings</c>); longer books get a warning.</summary>
    public required long MaxPositions { get; init; }

    /// <summary>Where the decoder's tensors start: <c>model.</c>, or <c>language_model.model.</c> in a multimodal Gemma 3.</summary>
    public string TensorPrefix { get; init; } = "model.";

    /// <summary>The output head's tensor name (untied heads only).</summary>
    public string HeadTensor { get; init; } = "lm_head.weight";

    /// <summary>Query heads per key/value head.</summary>
    public int KvGroups => Heads / KvHeads;

    /// <summary>Parameters, counted from the shapes (the head once when tied).</summary>
    public long ParameterCount => ExpectedTensors().Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b));

    /// <summary>
    /// Useful FLOPs of layer <paramref name="layer"/> over <paramref name="n"/> tokens: the projections
    /// and feed-forward per token, and 4 · heads · head_dim per visible (query, key) pair.
    /// </summary>
    public double LayerFlops(int layer, long n)
    {
        double h = HiddenSize, q = (double)Heads * HeadDim, kv = (double)KvHeads * HeadDim, f = IntermediateSize;
        var perToken = (2 * h * (q + (2 * kv))) + (2 * q * h) + (2 * 3 * h * f);
        var pairs = Layers[layer].SlidingWindow is { } w
            ? (Math.Min(w, n) * (Math.Min(w, n) + 1) / 2.0) + (Math.Max(0, n - w) * (double)w)
            : n * (n + 1) / 2.0;
        return (perToken * n) + (4 * q * pairs);
    }

    /// <summary>FLOPs of scoring <paramref name="n"/> rows through the output head (the logits' matmul).</summary>
    public double HeadFlops(long n) => 2.0 * HiddenSize * VocabSize * n;

    /// <summary>Every tensor the checkpoint must hold, with its shape.</summary>
    public IReadOnlyList<(string Name, long[] Shape)> ExpectedTensors()
    {
        var (h, q, kv, f) = ((long)HiddenSize, (long)Heads * HeadDim, (long)KvHeads * HeadDim, (long)IntermediateSize);
        var list = new List<(string, long[])> { ($"{TensorPrefix}embed_tokens.weight", [VocabSize, h]), ($"{TensorPrefix}norm.weight", [h]) };
        if (!TiedEmbeddings) list.Add((HeadTensor, [VocabSize, h]));
        foreach (var layer in Layers)
        {
            var p = $"{TensorPrefix}layers.{layer.Index}.";
            list.Add(($"{p}input_layernorm.weight", [h]));
            list.Add(($"{p}post_attention_layernorm.weight", [h]));
            if (SandwichNorms)
            {
                list.Add(($"{p}pre_feedforward_layernorm.weight", [h]));
                list.Add(($"{p}post_feedforward_layernorm.weight", [h]));
            }
            list.Add(($"{p}self_attn.q_proj.weight", [q, h]));
            list.Add(($"{p}self_attn.k_proj.weight", [kv, h]));
            list.Add(($"{p}self_attn.v_proj.weight", [kv, h]));
            list.Add(($"{p}self_attn.o_proj.weight", [h, q]));
            if (QkvBias)
            {
                list.Add(($"{p}self_attn.q_proj.bias", [q]));
                list.Add(($"{p}self_attn.k_proj.bias", [kv]));
                list.Add(($"{p}self_attn.v_proj.bias", [kv]));
            }
            if (OutputBias) list.Add(($"{p}self_attn.o_proj.bias", [h]));
            if (QkNorm)
            {
                list.Add(($"{p}self_attn.q_norm.weight", [HeadDim]));
                list.Add(($"{p}self_attn.k_norm.weight", [HeadDim]));
            }
            list.Add(($"{p}mlp.gate_proj.weight", [f, h]));
            list.Add(($"{p}mlp.up_proj.weight", [f, h]));
            list.Add(($"{p}mlp.down_proj.weight", [h, f]));
            if (MlpBias)
            {
                list.Add(($"{p}mlp.gate_proj.bias", [f]));
                list.Add(($"{p}mlp.up_proj.bias", [f]));
                list.Add(($"{p}mlp.down_proj.bias", [h]));
            }
        }
        return list;
    }
}
