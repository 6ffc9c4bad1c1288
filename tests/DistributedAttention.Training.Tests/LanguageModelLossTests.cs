using DistributedAttention.Contracts;
using DistributedAttention.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Training.Tests;

/// <summary>
/// The blockwise loss with its hand-written head gradient equals plain autograd through the whole
/// logits: the same loss, and the same gradient on every parameter (the tied embedding gets both
/// its lookup share and its head share).
/// </summary>
public sealed class LanguageModelLossTests
{
    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 70)] // 140 rows: two full blocks of 64 and a partial one
    [InlineData(3, 64)] // blocks end exactly on the last row
    public void Loss_and_every_gradient_equal_autograd_through_the_whole_logits(int batch, int length)
    {
        var options = TrainingFixtures.TinyModel(vocabSize: 97, layers: 2);
        using var generator = new Generator(11);
        using var inputs = randint(97, [batch, length], dtype: int64, generator: generator);
        using var targets = randint(97, [batch, length], dtype: int64, generator: generator);

        using var reference = new TransformerModel(options);
        reference.RequireGradients();
        double expectedLoss;
        using (var hidden = reference.forward(inputs))
        using (var logits = reference.TiedLogits(hidden))
        using (var loss = nn.functional.cross_entropy(logits.reshape(-1, 97), targets.reshape(-1)))
        {
            loss.backward();
            expectedLoss = loss.item<float>();
        }

        using var model = new TransformerModel(options);
        model.RequireGradients();
        var actualLoss = LanguageModelLoss.Backward(model, inputs, targets);

        Assert.Equal(expectedLoss, actualLoss, 1e-5);
        var expected = reference.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, parameter) in model.named_parameters())
        {
            using var want = expected[name].grad!;
            using var got = parameter.grad!;
            var scale = Math.Max(1e-3, want.abs().max().item<float>());
            var error = (got - want).abs().max().item<float>();
            Assert.True(error <= 2e-5 * scale + 1e-7, $"{name}: max |Δgrad| {error:E2} against max |grad| {scale:E2}");
        }
    }

    [Fact]
    public void The_summed_loss_equals_autograd_cross_entropy_and_records_nothing()
    {
        var options = TrainingFixtures.TinyModel(vocabSize: 50, attention: new AttentionSpec { Kind = AttentionKind.Full, Causal = true });
        using var model = new TransformerModel(options);
        using var generator = new Generator(2);
        using var inputs = randint(50, [2, 90], dtype: int64, generator: generator);
        using var targets = randint(50, [2, 90], dtype: int64, generator: generator);
        double expected;
        using (var hidden = model.forward(inputs))
        using (var logits = model.TiedLogits(hidden))
        using (var loss = nn.functional.cross_entropy(logits.reshape(-1, 50), targets.reshape(-1), reduction: nn.Reduction.Sum))
        {
            expected = loss.item<float>();
        }
        model.RequireGradients();
        var sum = LanguageModelLoss.Sum(model, inputs, targets);
        Assert.Equal(expected, sum, Math.Abs(expected) * 1e-5);
        Assert.All(model.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void A_model_that_records_no_gradients_is_refused()
    {
        using var model = new TransformerModel(TrainingFixtures.TinyModel(vocabSize: 10));
        using var tokens = zeros([1, 4], dtype: int64);
        var e = Assert.Throws<InvalidOperationException>(() => LanguageModelLoss.Backward(model, tokens, tokens));
        Assert.Contains("RequireGradients", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mismatched_inputs_and_targets_are_refused()
    {
        using var model = new TransformerModel(TrainingFixtures.TinyModel(vocabSize: 10));
        using var inputs = zeros([1, 4], dtype: int64);
        using var targets = zeros([1, 5], dtype: int64);
        var e = Assert.Throws<ArgumentException>(() => LanguageModelLoss.Sum(model, inputs, targets));
        Assert.Contains("differ in shape", e.Message, StringComparison.Ordinal);
    }
}
