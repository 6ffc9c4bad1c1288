using DistributedAttention.Testing.Processes;

namespace DistributedAttention.Model.Tests.Pretrained;

/// <summary>
/// One tiny random checkpoint per case, in the exact Hugging Face layout, made once for the test
/// collection by the PyTorch reference script, with the reference's outputs on <see cref="Ids"/>.
/// The cases cover every family and the settings that change the math: GQA, windows smaller and
/// larger than a shard, Gemma's alternation and QK-norm, soft-capping, RoPE scaling, biases, tied
/// and untied heads, BF16 weights, sharded files with an index, the multimodal Gemma 3 wrapper.
/// </summary>
public sealed class TinyCheckpoints : IDisposable
{
    /// <summary>Tokens of every case.</summary>
    public const int Tokens = 150;

    /// <summary>Vocabulary of every case.</summary>
    public const int Vocab = 97;

    private readonly string root = Path.Combine(Path.GetTempPath(), "distattn-hf-" + Guid.NewGuid().ToString("N"));

    /// <summary>The cases by name.</summary>
    public static IReadOnlyDictionary<string, object> Specs { get; } = new Dictionary<string, object>
    {
        ["llama3-gqa-sharded"] = new
        {
            family = "llama", hidden = 32, layers = 3, heads = 4, kv_heads = 2, ffn = 48, vocab = Vocab, tied = false, shards = 2, seed = 1,
            config = new { rope_theta = 500000.0, rope_scaling = new { rope_type = "llama3", factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_position_embeddings = 64 } },
        },
        ["llama2-linear-bias-bf16"] = new
        {
            family = "llama", hidden = 24, layers = 2, heads = 3, ffn = 40, vocab = Vocab, tied = true, dtype = "bf16", seed = 2,
            config = new { rope_scaling = new { type = "linear", factor = 4.0 }, attention_bias = true, mlp_bias = true },
        },
        ["mistral-window5-mqa"] = new { family = "mistral", hidden = 32, layers = 2, heads = 4, kv_heads = 1, ffn = 48, vocab = Vocab, sliding_window = 5, seed = 3 },
        ["mistral-window40"] = new { family = "mistral", hidden = 32, layers = 2, heads = 4, kv_heads = 2, ffn = 48, vocab = Vocab, sliding_window = 40, seed = 4 },
        ["qwen2-upper-windows"] = new
        {
            family = "qwen2", hidden = 32, layers = 3, heads = 4, kv_heads = 2, ffn = 48, vocab = Vocab, seed = 5,
            config = new { use_sliding_window = true, sliding_window = 7, max_window_layers = 1 },
        },
        ["gemma2-softcaps"] = new
        {
            family = "gemma2", hidden = 32, layers = 4, heads = 2, kv_heads = 1, head_dim = 16, ffn = 48, vocab = Vocab, sliding_window = 6, query_pre_attn_scalar = 12, seed = 6,
            config = new { attn_logit_softcapping = 2.0, final_logit_softcapping = 3.0 },
        },
        ["gemma3-pattern-bf16"] = new
        {
            family = "gemma3", hidden = 32, layers = 7, heads = 2, kv_heads = 1, head_dim = 16, ffn = 48, vocab = Vocab, sliding_window = 5, dtype = "bf16", seed = 7,
            config = new { rope_scaling = new { rope_type = "linear", factor = 8.0 } },
        },
        ["gemma3-multimodal-layer-types"] = new
        {
            family = "gemma3", multimodal = true, hidden = 32, layers = 3, heads = 4, kv_heads = 2, head_dim = 8, ffn = 48, vocab = Vocab, sliding_window = 9, shards = 3, seed = 8, tied = false,
            config = new { layer_types = new[] { "full_attention", "sliding_attention", "full_attention" } },
        },
    };

    /// <summary>The case names, for theories.</summary>
    public static TheoryData<string> Names => [.. Specs.Keys];

    /// <summary>The token ids every case runs (seeded, every id of the vocabulary likely).</summary>
    public static long[] Ids { get; } = [.. Enumerable.Range(0, Tokens).Select(i => (long)((i * 37 + (i * i) % 11) % Vocab))];

    private readonly Lock gate = new();
    private readonly Dictionary<string, Task<string>> made = [];

    /// <summary>The folder of case <paramref name="name"/>, made on first use, with reference.safetensors beside its files.</summary>
    public Task<string> FolderAsync(string name)
    {
        lock (gate)
        {
            if (!made.TryGetValue(name, out var task))
            {
                made[name] = task = Task.Run(() =>
                {
                    var dir = Path.Combine(root, name);
                    HuggingFaceReference.Make(dir, Specs[name]);
                    HuggingFaceReference.Forward(dir, Ids, ReferencePath(dir));
                    return dir;
                });
            }
            return task;
        }
    }

    /// <summary>Where a case's reference outputs are.</summary>
    public static string ReferencePath(string folder) => Path.Combine(folder, "..", Path.GetFileName(folder) + ".reference.safetensors");

    /// <inheritdoc />
    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }
}

/// <summary>The tests that share <see cref="TinyCheckpoints"/>.</summary>
[CollectionDefinition(Name)]
public sealed class TinyCheckpointCollection : ICollectionFixture<TinyCheckpoints>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "tiny checkpoints";
}
