using static TorchSharp.torch;

namespace DistributedAttention.Training.Tests;

public sealed class DecoupledAdamWTests
{
    [Fact]
    public void With_zero_gradients_a_step_shrinks_matrices_by_the_decay_and_leaves_vectors_alone()
    {
        using var layer = nn.Linear(4, 3);
        var options = new TrainingOptions { LearningRate = 0.1, WeightDecay = 0.2 };
        using var optimizer = DecoupledAdamW.Create(layer.parameters(), options);
        using var weight = layer.weight!.detach().clone();
        using var bias = layer.bias!.detach().clone();
        foreach (var p in layer.parameters()) p.grad = zeros_like(p);
        optimizer.step();

        // Decoupled decay: w ← w − lr·λ·w, whatever the (zero) gradient's Adam update is.
        using var expected = weight * (1 - (0.1 * 0.2));
        Assert.True(allclose(layer.weight!, expected, rtol: 1e-6, atol: 1e-7), "the matrix was not decayed by lr·λ");
        Assert.True(allclose(layer.bias!, bias, rtol: 0, atol: 0), "the bias was decayed");
        Assert.Equal(2, optimizer.ParamGroups.Count());
    }
}
