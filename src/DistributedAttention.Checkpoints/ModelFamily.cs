namespace DistributedAttention.Checkpoints;

/// <summary>The decoder families a model folder can hold (config.json's <c>model_type</c>).</summary>
public enum ModelFamily
{
    /// <summary><c>llama</c>: Llama 2 and 3 (RoPE scaling <c>linear</c> or <c>llama3</c>), SmolLM and others of the layout.</summary>
    Llama,

    /// <summary><c>mistral</c>: Llama's layout with a sliding window on every layer.</summary>
    Mistral,

    /// <summary><c>qwen2</c>: biases on q, k and v; an optional sliding window on the layers from <c>max_window_layers</c> on.</summary>
    Qwen2,

    /// <summary><c>gemma2</c>: sliding and global layers alternating, sandwich norms, soft-capped scores and logits.</summary>
    Gemma2,

    /// <summary><c>gemma3_text</c>, or the text model of <c>gemma3</c>: five sliding layers to one global, QK-norm, two RoPE bases.</summary>
    Gemma3,
}
