using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;

namespace DistributedAttention.Model.Tests;

public sealed class TransformerOptionsTests
{
    [Fact]
    public void Valid_options_pass_and_head_dim_follows_from_model_dim_and_heads()
    {
        var options = TestModels.Options(layers: 4, specs: TestModels.MixedSpecs);
        options.Validate();
        Assert.Equal(8, options.HeadDim);
    }

    public static TheoryData<string, Func<TransformerOptions, TransformerOptions>, string> Invalid => new()
    {
        { "not divisible", o => o with { ModelDim = 30 }, "model dim 30 is not divisible by heads 4" },
        { "odd head dim", o => o with { ModelDim = 20 }, "head dim 5" },
        { "too many specs", o => o with { Layers = 1 }, "2 layer attention specs for 1 layers" },
        { "no vocab", o => o with { VocabSize = 0 }, "vocab size" },
        { "no heads", o => o with { Heads = 0 }, "heads must be >= 1" },
        { "no feed-forward", o => o with { FeedForwardDim = 0 }, "feed-forward dim" },
        { "bad rope base", o => o with { RopeBase = 1 }, "rope base" },
        { "bad eps", o => o with { LayerNormEps = 0 }, "layer norm eps" },
        { "bad layer spec", o => o with { LayerAttention = [o.LayerAttention[0], new AttentionSpec { Dilation = 0 }] }, "layer 1 attention (Window): dilation" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_options_name_the_problem(string problem, Func<TransformerOptions, TransformerOptions> change, string expected)
    {
        var options = change(TestModels.Options());
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains(expected, error.Message);
        Assert.Throws<ArgumentException>(() => new TransformerModel(options));
        Assert.False(string.IsNullOrEmpty(problem));
    }

    [Fact]
    public void Json_round_trip_keeps_every_setting_including_each_layers_spec()
    {
        var options = TestModels.Options(seed: ulong.MaxValue, layers: 4, specs: TestModels.MixedSpecs) with { RopeBase = 500000, LayerNormEps = 1e-6 };
        var json = options.ToJson();
        var back = TransformerOptions.FromJson(json);

        Assert.Equal(json, back.ToJson());
        Assert.Equal(ulong.MaxValue, back.Seed);
        Assert.Equal(500000, back.RopeBase);
        Assert.Equal(options.LayerAttention.Select(s => s.Kind), back.LayerAttention.Select(s => s.Kind));
        Assert.Equal([0L, 17L], back.LayerAttention[0].GlobalPositions);
        Assert.Null(back.LayerAttention[1].WindowLeft);
        Assert.Contains("\"BigBird\"", json);
    }

    [Fact]
    public void Malformed_json_is_an_argument_error()
    {
        Assert.Contains("malformed", Assert.Throws<ArgumentException>(() => TransformerOptions.FromJson("{\"ModelDim\": ")).Message);
        Assert.Throws<ArgumentException>(() => TransformerOptions.FromJson("{\"ModelDim\": 8}"));
    }
}
