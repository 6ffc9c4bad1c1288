using DistributedAttention.Contracts;
using static TorchSharp.torch;

namespace DistributedAttention.Model.Tests;

/// <summary>Online k-means of routing layers: centroids move toward their vectors, and only in a training step.</summary>
public sealed class RoutingCentroidLearnerTests
{
    [Fact]
    public void A_centroid_moves_toward_the_mean_of_its_vectors_and_an_empty_one_stays()
    {
        // Centroids e0 and e1 in 4 dimensions; every vector lies near e0, so only the first moves.
        float[] centroids = [1, 0, 0, 0, 0, 1, 0, 0];
        var spec = new AttentionSpec { Kind = AttentionKind.Routing, Clusters = 2, Centroids = centroids };
        using var q = tensor(new float[] { 2, 0, 2, 0, 3, 0, 3, 0 }, [1, 1, 2, 4]);   // unit: (0.707, 0, 0.707, 0)
        using var k = tensor(new float[] { 5, 0, 5, 0, 1, 0, 1, 0 }, [1, 1, 2, 4]);
        var updated = RoutingCentroidLearner.Update(spec, q, k);
        var l = RoutingCentroidLearner.Decay;
        var half = (float)Math.Sqrt(0.5);
        float[] expected = [(float)(l + (1 - l) * half), 0, (float)((1 - l) * half), 0, 0, 1, 0, 0];
        Assert.Equal(expected.Length, updated.Length);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], updated[i], 6);
    }

    [Fact]
    public void Only_a_training_step_moves_a_routing_layer()
    {
        var specs = new[] { new AttentionSpec { Kind = AttentionKind.Routing, Clusters = 3, Causal = true } };
        using var model = new TransformerModel(TestModels.Options(layers: 1, specs: specs));
        using var generator = new Generator(3);
        using var tokens = randint(0, 97, [2, 40], dtype: ScalarType.Int64, generator: generator);
        var layer = model.Layers[0];
        model.forward(tokens).Dispose();
        Assert.Empty(layer.Spec.Centroids);                                  // inference: seeded, untouched

        model.train();
        using (no_grad())
            model.forward(tokens).Dispose();
        Assert.Empty(layer.Spec.Centroids);                                  // evaluation during training: untouched

        model.RequireGradients();
        model.forward(tokens).Dispose();
        Assert.Equal(3 * model.Options.HeadDim, layer.Spec.Centroids.Count); // a training step: learned
        Assert.Equal(layer.Spec, model.CurrentOptions.LayerAttention[0]);
        Assert.NotEqual(model.Options, model.CurrentOptions);
    }
}
