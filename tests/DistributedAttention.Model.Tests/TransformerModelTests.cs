using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Model.Tests;

public sealed class TransformerModelTests
{
    private static Tensor Tokens(ulong seed, long batch, long n)
    {
        using var generator = new Generator(seed, CPU);
        return randint(0, 97, [batch, n], dtype: int64, generator: generator);
    }

    [Fact]
    public void Same_seed_gives_bit_identical_weights_and_outputs_and_another_seed_differs()
    {
        using var a = new TransformerModel(TestModels.Options(seed: 42));
        using var b = new TransformerModel(TestModels.Options(seed: 42));
        using var c = new TransformerModel(TestModels.Options(seed: 43));
        var weightsA = a.state_dict();
        var weightsB = b.state_dict();
        var weightsC = c.state_dict();
        foreach (var (name, weight) in weightsA) Tensors.AssertBitEqual(weight, weightsB[name], name);
        Assert.True(Tensors.MaxDiff(weightsA["embed.weight"], weightsC["embed.weight"]) > 0, "another seed gave the same embedding.");
        Assert.True(Tensors.MaxDiff(weightsA["layers.1.attn.q_proj.weight"], weightsC["layers.1.attn.q_proj.weight"]) > 0, "another seed gave the same q_proj.");

        using var tokens = Tokens(1, 2, 50);
        using var outA = a.forward(tokens);
        using var outB = b.forward(tokens);
        Tensors.AssertBitEqual(outA, outB, "output");
        Assert.Equal([2L, 50L, 32L], outA.shape);
        Assert.False(outA.requires_grad);
        Assert.All(a.parameters(), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void Save_then_load_rebuilds_options_and_gives_bit_identical_outputs()
    {
        using var dir = new TempDir();
        var path = dir.File("model.safetensors");
        using var model = new TransformerModel(TestModels.Options(seed: 5, layers: 4, specs: TestModels.MixedSpecs));
        model.Save(path);
        using var loaded = TransformerModel.Load(path);

        Assert.Equal(model.Options.ToJson(), loaded.Options.ToJson());
        using var tokens = Tokens(2, 1, 80);
        using var expected = model.forward(tokens);
        using var actual = loaded.forward(tokens);
        Tensors.AssertBitEqual(expected, actual, "output after reload");

        using var reader = SafetensorsReader.Open(path);
        Assert.True(reader.Contains("embed.weight"));
        Assert.True(reader.Contains("layers.0.attn.q_proj.weight"));
        Assert.True(reader.Contains("layers.3.ffn.down.bias"));
        Assert.True(reader.Contains("final_norm.weight"));
        Assert.Equal([32L, 32L], reader.GetInfo("layers.2.attn.o_proj.weight").Shape);
    }

    [Fact]
    public void Loading_names_missing_unexpected_and_misshapen_weights()
    {
        using var dir = new TempDir();
        using var model = new TransformerModel(TestModels.Options());
        var metadata = new Dictionary<string, string> { ["format"] = "distributed-attention.transformer/1", ["options"] = model.Options.ToJson() };
        var weights = model.state_dict();

        var missing = new Dictionary<string, Tensor>(weights);
        missing.Remove("layers.1.ffn.up.weight");
        missing["extra.weight"] = weights["embed.weight"];
        Safetensors.Save(dir.File("missing.safetensors"), missing, metadata);
        var error = Assert.Throws<InvalidDataException>(() => TransformerModel.Load(dir.File("missing.safetensors")));
        Assert.Contains("missing [layers.1.ffn.up.weight]", error.Message);
        Assert.Contains("unexpected [extra.weight]", error.Message);

        using var narrow = zeros(64, 16);
        var misshapen = new Dictionary<string, Tensor>(weights) { ["layers.0.ffn.up.weight"] = narrow };
        Safetensors.Save(dir.File("misshapen.safetensors"), misshapen, metadata);
        error = Assert.Throws<InvalidDataException>(() => TransformerModel.Load(dir.File("misshapen.safetensors")));
        Assert.Contains("'layers.0.ffn.up.weight' has shape [64, 16], the model expects [64, 32]", error.Message);

        Safetensors.Save(dir.File("plain.safetensors"), weights);
        error = Assert.Throws<InvalidDataException>(() => TransformerModel.Load(dir.File("plain.safetensors")));
        Assert.Contains("not a transformer checkpoint", error.Message);
    }

    [Fact]
    public void A_model_mixing_attention_kinds_per_layer_runs_and_each_kind_matters()
    {
        using var mixed = new TransformerModel(TestModels.Options(layers: 4, specs: TestModels.MixedSpecs));
        Assert.Equal(TestModels.MixedSpecs.Select(s => s.Kind), mixed.Layers.Select(l => l.Spec.Kind));
        using var tokens = Tokens(3, 2, 100);
        using var hidden = mixed.forward(tokens);
        Assert.Equal([2L, 100L, 32L], hidden.shape);
        Assert.True(hidden.isfinite().all().item<bool>(), "mixed-kind model produced non-finite values.");

        var allFull = TransformerOptions.Uniform(new AttentionSpec { Kind = AttentionKind.Full, WindowLeft = null, WindowRight = null }, 4);
        using var full = new TransformerModel(TestModels.Options(layers: 4, specs: allFull));
        using var fullHidden = full.forward(tokens);
        Assert.True(Tensors.MaxDiff(hidden, fullHidden) > 1e-4, "the per-layer mechanisms had no effect.");
    }

    [Fact]
    public void Forward_equals_embed_then_layers_then_final_norm()
    {
        using var model = new TransformerModel(TestModels.Options());
        using var tokens = Tokens(4, 1, 30);
        using var expected = model.forward(tokens);
        using var scope = NewDisposeScope();
        var x = model.Embed(tokens);
        foreach (var layer in model.Layers) x = layer.forward(x, 0);
        Tensors.AssertBitEqual(expected, model.FinalNorm(x));
    }

    [Fact]
    public void Embed_rejects_out_of_range_ids_and_wrong_shapes()
    {
        using var model = new TransformerModel(TestModels.Options());
        using var tooBig = tensor(new long[] { 1, 97 }).reshape(1, 2);
        using var oneDim = tensor(new long[] { 1, 2 });
        using var int32Ids = tensor(new[] { 1, 2 }).reshape(1, 2);
        Assert.Contains("[0, 97)", Assert.Throws<ArgumentOutOfRangeException>(() => model.Embed(tooBig)).Message);
        Assert.Contains("(batch, n)", Assert.Throws<ArgumentException>(() => model.Embed(oneDim)).Message);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => model.Embed(int32Ids)).Message);
    }
}
