using System.Text.Json;

namespace DistributedAttention.Checkpoints;

/// <summary>
/// Reads a Hugging Face config.json of a supported family into a <see cref="DecoderArchitecture"/>.
/// Fields that change the math are honoured or refused with the field and value named; fields that
/// only matter for training (dropout) or for other runtimes are ignored. Defaults are the families'
/// published ones.
/// </summary>
public static class HuggingFaceConfig
{
    /// <summary>The supported <c>model_type</c> values.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = ["llama", "mistral", "qwen2", "gemma2", "gemma3_text", "gemma3"];

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is missing, malformed, of an unknown family, or sets something not supported.</exception>
    public static DecoderArchitecture Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: no such file (a model folder has a config.json).");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses config.json text; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The JSON is malformed, of an unknown family, or sets something not supported.</exception>
    public static DecoderArchitecture Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not valid JSON ({e.Message}).", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: must be a JSON object.");
            var top = new ConfigFields(document.RootElement, source);
            var modelType = top.String("model_type") ?? throw top.Error("model_type", $"is missing (supported: {string.Join(", ", SupportedModelTypes)})");
            if (top.Has("quantization_config")) throw top.Error("quantization_config", "is set: quantized checkpoints are not supported (bring BF16, F16 or F32 weights)");
            return modelType switch
            {
                "llama" => Llama(top, ModelFamily.Llama, modelType),
                "mistral" => Llama(top, ModelFamily.Mistral, modelType),
                "qwen2" => Llama(top, ModelFamily.Qwen2, modelType),
                "gemma2" => Gemma(top, ModelFamily.Gemma2, modelType, "model."),
                "gemma3_text" => Gemma(top, ModelFamily.Gemma3, modelType, "model."),
                "gemma3" => Gemma(top.Object("text_config") ?? throw top.Error("text_config", "is missing (a gemma3 checkpoint nests its text model there)"),
                    ModelFamily.Gemma3, modelType, "language_model.model."),
                _ => throw top.Error("model_type", $"is '{modelType}', which is not supported (supported: {string.Join(", ", SupportedModelTypes)})"),
            };
        }
    }

    private static DecoderArchitecture Llama(ConfigFields c, ModelFamily family, string modelType)
    {
        var activation = c.String("hidden_act") ?? "silu";
        if (activation != "silu") throw c.Error("hidden_act", $"is '{activation}'; {modelType} runs with silu only");
        var shape = Shape(c);
        var rope = Rope(c, c.Number("rope_theta", 10000));
        int? window = family switch
        {
            ModelFamily.Mistral => c.OptionalInt("sliding_window"),
            ModelFamily.Qwen2 when c.Bool("use_sliding_window", false) => c.OptionalInt("sliding_window"),
            _ => null,
        };
        var windowFrom = family == ModelFamily.Qwen2 ? c.Int("max_window_layers", 28, min: 0) : 0;
        var types = LayerTypes(c, shape.Layers);
        var layers = Enumerable.Range(0, shape.Layers).Select(i =>
        {
            var sliding = types is not null ? types[i] : window is not null && i >= windowFrom;
            if (sliding && window is null) throw c.Error("layer_types", $"makes layer {i} sliding but sliding_window is not set");
            return new DecoderLayerPlan(i, sliding ? window : null, rope);
        }).ToList();
        var attentionBias = family == ModelFamily.Llama && c.Bool("attention_bias", false);
        return new DecoderArchitecture
        {
            Family = family,
            ModelType = modelType,
            HiddenSize = shape.Hidden,
            Heads = shape.Heads,
            KvHeads = shape.KvHeads,
            HeadDim = shape.HeadDim,
            IntermediateSize = shape.Intermediate,
            VocabSize = shape.Vocab,
            RmsNormEps = c.Positive("rms_norm_eps", 1e-6),
            Layers = layers,
            TiedEmbeddings = c.Bool("tie_word_embeddings", false),
            QkvBias = family == ModelFamily.Qwen2 || attentionBias,
            OutputBias = attentionBias,
            MlpBias = family == ModelFamily.Llama && c.Bool("mlp_bias", false),
            QueryScale = 1 / Math.Sqrt(shape.HeadDim),
            MaxPositions = c.Int("max_position_embeddings", 2048),
        };
    }

    private static DecoderArchitecture Gemma(ConfigFields c, ModelFamily family, string modelType, string prefix)
    {
        var activation = c.String("hidden_activation") ?? c.String("hidden_act") ?? "gelu_pytorch_tanh";
        if (activation != "gelu_pytorch_tanh") throw c.Error(c.Has("hidden_activation") ? "hidden_activation" : "hidden_act", $"is '{activation}'; {modelType} runs with gelu_pytorch_tanh only");
        if (c.Bool("use_bidirectional_attention", false)) throw c.Error("use_bidirectional_attention", "is true: only causal language models are supported");
        var shape = Shape(c, defaultHeadDim: 256);
        var window = c.Int("sliding_window", 4096);
        var types = LayerTypes(c, shape.Layers);
        var pattern = family == ModelFamily.Gemma3 ? c.Int("sliding_window_pattern", 6) : 2;
        var globalRope = Rope(c, c.Number("rope_theta", family == ModelFamily.Gemma3 ? 1_000_000 : 10000), "full_attention");
        // Gemma 3's sliding layers rotate with their own base and no scaling.
        var localRope = family == ModelFamily.Gemma3 ? LocalRope(c) : globalRope;
        var layers = Enumerable.Range(0, shape.Layers).Select(i =>
        {
            var sliding = types is not null ? types[i] : (i + 1) % pattern != 0;
            return new DecoderLayerPlan(i, sliding ? window : null, sliding ? localRope : globalRope);
        }).ToList();
        return new DecoderArchitecture
        {
            Family = family,
            ModelType = modelType,
            HiddenSize = shape.Hidden,
            Heads = shape.Heads,
            KvHeads = shape.KvHeads,
            HeadDim = shape.HeadDim,
            IntermediateSize = shape.Intermediate,
            VocabSize = shape.Vocab,
            RmsNormEps = c.Positive("rms_norm_eps", 1e-6),
            Layers = layers,
            TiedEmbeddings = c.Bool("tie_word_embeddings", true),
            Activation = FeedForwardActivation.GeluTanh,
            NormAddsOne = true,
            SandwichNorms = true,
            QkNorm = family == ModelFamily.Gemma3,
            EmbeddingScale = Math.Sqrt(shape.Hidden),
            QueryScale = 1 / Math.Sqrt(c.Positive("query_pre_attn_scalar", 256)),
            AttentionSoftCap = family == ModelFamily.Gemma2 ? c.Positive("attn_logit_softcapping", 50) : c.OptionalPositive("attn_logit_softcapping"),
            FinalSoftCap = family == ModelFamily.Gemma2 ? c.Positive("final_logit_softcapping", 30) : c.OptionalPositive("final_logit_softcapping"),
            MaxPositions = c.Int("max_position_embeddings", 8192),
            TensorPrefix = prefix,
        };
    }

    private sealed record Dimensions(int Hidden, int Layers, int Heads, int KvHeads, int HeadDim, int Intermediate, int Vocab);

    private static Dimensions Shape(ConfigFields c, int? defaultHeadDim = null)
    {
        var hidden = c.Int("hidden_size");
        var layers = c.Int("num_hidden_layers");
        var heads = c.Int("num_attention_heads");
        var kvHeads = c.Int("num_key_value_heads", heads);
        if (heads % kvHeads != 0) throw c.Error("num_key_value_heads", $"is {kvHeads}, which does not divide num_attention_heads {heads}");
        if (!c.Has("head_dim") && defaultHeadDim is null && hidden % heads != 0)
            throw c.Error("hidden_size", $"is {hidden}, not a multiple of num_attention_heads {heads}, and head_dim is not set");
        var headDim = c.Int("head_dim", defaultHeadDim ?? hidden / heads);
        if (headDim % 2 != 0) throw c.Error("head_dim", $"is {headDim}; rotary embeddings need an even head dim");
        if (c.Has("partial_rotary_factor") && c.Number("partial_rotary_factor") != 1) throw c.Error("partial_rotary_factor", "is not 1: partial rotary embeddings are not supported");
        return new Dimensions(hidden, layers, heads, kvHeads, headDim, c.Int("intermediate_size"), c.Int("vocab_size"));
    }

    /// <summary><c>layer_types</c> as sliding (true) or full (false) per layer; null when absent.</summary>
    private static bool[]? LayerTypes(ConfigFields c, int layers)
    {
        var types = c.Strings("layer_types");
        if (types is null) return null;
        if (types.Count != layers) throw c.Error("layer_types", $"lists {types.Count} layers, but num_hidden_layers is {layers}");
        return [.. types.Select((t, i) => t switch
        {
            "sliding_attention" => true,
            "full_attention" => false,
            _ => throw c.Error("layer_types", $"names '{t}' at layer {i} (supported: sliding_attention, full_attention)"),
        })];
    }

    /// <summary>
    /// The rotary settings from <c>rope_theta</c> and <c>rope_scaling</c>, or from <c>rope_parameters</c>
    /// (newer configs; per layer type where <paramref name="layerType"/> names one).
    /// </summary>
    private static RopeSettings Rope(ConfigFields c, double theta, string? layerType = null)
    {
        var parameters = c.Object("rope_parameters");
        if (parameters is not null)
        {
            var own = layerType is not null ? parameters.Object(layerType) : null;
            var p = own ?? parameters;
            return Scaling(p, p.Number("rope_theta", theta), p.Source);
        }
        var scaling = c.Object("rope_scaling");
        return scaling is null ? new RopeSettings(theta) : Scaling(scaling, theta, scaling.Source);
    }

    private static RopeSettings LocalRope(ConfigFields c)
    {
        var parameters = c.Object("rope_parameters");
        var local = parameters?.Object("sliding_attention");
        if (local is not null) return Scaling(local, local.Number("rope_theta", 10000), local.Source);
        return new RopeSettings(c.Number("rope_local_base_freq", 10000));
    }

    private static RopeSettings Scaling(ConfigFields s, double theta, string source)
    {
        if (theta <= 1) throw s.Error("rope_theta", $"must be > 1, not {theta}");
        var type = s.String("rope_type") ?? s.String("type") ?? "default";
        return type switch
        {
            "default" => new RopeSettings(theta),
            "linear" => new RopeSettings(theta, RopeScalingKind.Linear, s.Positive("factor")),
            "llama3" => Llama3(s, theta),
            _ => throw new InvalidDataException($"{source}: rope type '{type}' is not supported (supported: default, linear, llama3)."),
        };
    }

    private static RopeSettings Llama3(ConfigFields s, double theta)
    {
        var low = s.Positive("low_freq_factor");
        var high = s.Positive("high_freq_factor");
        if (high <= low) throw s.Error("high_freq_factor", $"is {high}, not above low_freq_factor {low}");
        return new RopeSettings(theta, RopeScalingKind.Llama3, s.Positive("factor"), low, high, s.Positive("original_max_position_embeddings"));
    }
}
