using DistributedAttention.Checkpoints;
using System.Text.Json.Nodes;

namespace DistributedAttention.Model.Tests.Pretrained;

/// <summary>A model folder that cannot run is refused before anything loads, with one line naming the problem.</summary>
[Collection(TinyCheckpointCollection.Name)]
public sealed class ModelFolderTests(TinyCheckpoints checkpoints) : IDisposable
{
    private readonly TempDir temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Reads_the_families_settings()
    {
        var gemma2 = ModelFolder.Open(await checkpoints.FolderAsync("gemma2-softcaps")).Architecture;
        Assert.Equal(ModelFamily.Gemma2, gemma2.Family);
        Assert.Equal([6, null, 6, null], gemma2.Layers.Select(l => l.SlidingWindow));
        Assert.Equal(2.0, gemma2.AttentionSoftCap);
        Assert.Equal(3.0, gemma2.FinalSoftCap);
        Assert.Equal(1 / Math.Sqrt(12), gemma2.QueryScale, 12);
        Assert.Equal(16, gemma2.HeadDim);

        var gemma3 = ModelFolder.Open(await checkpoints.FolderAsync("gemma3-pattern-bf16")).Architecture;
        Assert.Equal([5, 5, 5, 5, 5, null, 5], gemma3.Layers.Select(l => l.SlidingWindow));
        Assert.Equal(10000, gemma3.Layers[0].Rope.Theta);
        Assert.Equal(RopeScalingKind.Default, gemma3.Layers[0].Rope.Scaling);
        Assert.Equal(1_000_000, gemma3.Layers[5].Rope.Theta);
        Assert.Equal(RopeScalingKind.Linear, gemma3.Layers[5].Rope.Scaling);

        var qwen = ModelFolder.Open(await checkpoints.FolderAsync("qwen2-upper-windows")).Architecture;
        Assert.Equal([null, 7, 7], qwen.Layers.Select(l => l.SlidingWindow));
        // Hugging Face's sliding_window W is W keys including the query: W - 1 before it.
        Assert.Equal(6, qwen.Layers[1].WindowLeft);

        var multimodal = ModelFolder.Open(await checkpoints.FolderAsync("gemma3-multimodal-layer-types"));
        Assert.Equal("language_model.model.", multimodal.Architecture.TensorPrefix);
        Assert.Equal([null, 9, null], multimodal.Architecture.Layers.Select(l => l.SlidingWindow));
        Assert.Equal(3, multimodal.TensorFiles.Values.Distinct().Count());
    }

    [Fact]
    public async Task Fingerprint_follows_the_files_not_the_folder()
    {
        var source = await checkpoints.FolderAsync("mistral-window40");
        var copy = Copy(source);
        Assert.Equal(ModelFolder.Open(source).Fingerprint, ModelFolder.Open(copy).Fingerprint);
        EditConfig(copy, c => c["rms_norm_eps"] = 1e-5);
        Assert.NotEqual(ModelFolder.Open(source).Fingerprint, ModelFolder.Open(copy).Fingerprint);
    }

    public static TheoryData<string, string, string> BadConfigs => new()
    {
        { "model_type", "\"gpt2\"", "field 'model_type' is 'gpt2', which is not supported (supported: llama, mistral, qwen2, gemma2, gemma3_text, gemma3)" },
        { "hidden_size", "null", "field 'hidden_size' is missing" },
        { "num_key_value_heads", "3", "field 'num_key_value_heads' is 3, which does not divide num_attention_heads 4" },
        { "num_attention_heads", "\"four\"", "field 'num_attention_heads' must be an integer, not \"four\"" },
        { "rope_scaling", "{\"rope_type\": \"yarn\", \"factor\": 4.0}", "rope type 'yarn' is not supported (supported: default, linear, llama3)" },
        { "hidden_act", "\"gelu\"", "field 'hidden_act' is 'gelu'; mistral runs with silu only" },
        { "quantization_config", "{\"quant_method\": \"gptq\"}", "field 'quantization_config' is set: quantized checkpoints are not supported" },
        { "layer_types", "[\"full_attention\"]", "field 'layer_types' lists 1 layers, but num_hidden_layers is 2" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public async Task Refuses_a_config_field_naming_it(string field, string value, string message)
    {
        var copy = Copy(await checkpoints.FolderAsync("mistral-window40"));
        EditConfig(copy, c => c[field] = value == "null" ? null : JsonNode.Parse(value));
        var e = Assert.Throws<InvalidDataException>(() => ModelFolder.Open(copy));
        Assert.Contains(message, e.Message);
        Assert.Contains("config.json", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task Refuses_a_missing_tensor_a_wrong_shape_and_a_missing_shard_naming_each()
    {
        var missingShard = Copy(await checkpoints.FolderAsync("llama3-gqa-sharded"));
        File.Delete(Path.Combine(missingShard, "model-00002-of-00002.safetensors"));
        Assert.Contains("shard 'model-00002-of-00002.safetensors'", Assert.Throws<InvalidDataException>(() => ModelFolder.Open(missingShard)).Message);

        // A config that asks for more layers than the weights hold, and one with another width.
        var moreLayers = Copy(await checkpoints.FolderAsync("mistral-window40"));
        EditConfig(moreLayers, c => c["num_hidden_layers"] = 3);
        Assert.Contains("tensor 'model.layers.2.input_layernorm.weight' is missing", Assert.Throws<InvalidDataException>(() => ModelFolder.Open(moreLayers)).Message);

        var wider = Copy(await checkpoints.FolderAsync("mistral-window40"));
        EditConfig(wider, c => c["intermediate_size"] = 64);
        Assert.Contains("tensor 'model.layers.0.mlp.gate_proj.weight' has shape [48, 32], the config asks for [64, 32]", Assert.Throws<InvalidDataException>(() => ModelFolder.Open(wider)).Message);

        var noWeights = Copy(await checkpoints.FolderAsync("mistral-window40"));
        File.Delete(Path.Combine(noWeights, "model.safetensors"));
        Assert.Contains("no weights (model.safetensors", Assert.Throws<InvalidDataException>(() => ModelFolder.Open(noWeights)).Message);

        var noConfig = Copy(await checkpoints.FolderAsync("mistral-window40"));
        File.Delete(Path.Combine(noConfig, "config.json"));
        Assert.Contains("config.json: no such file", Assert.Throws<InvalidDataException>(() => ModelFolder.Open(noConfig)).Message);
    }

    private string Copy(string source)
    {
        var target = Path.Combine(temp.Path, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        return target;
    }

    private static void EditConfig(string folder, Action<JsonObject> edit)
    {
        var path = Path.Combine(folder, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(config);
        File.WriteAllText(path, config.ToJsonString());
    }
}
