using DistributedAttention.Contracts;
using DistributedAttention.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DistributedAttention.Training.Tasks;

/// <summary>
/// The transformer with a classification head (<c>head.{weight,bias}</c>, d_model → classes) on the
/// final hidden state of the last position. The language-model head stays tied to the embedding
/// and unused, so every mechanism's classifier has the same parameters.
/// </summary>
public sealed class SequenceClassifier : nn.Module<Tensor, Tensor>
{
    private readonly TransformerModel model;
    private readonly Linear head;

    /// <summary>A classifier with seeded weights (the model from its options' seed, the head from the seed after it).</summary>
    public SequenceClassifier(TransformerOptions options, int classes) : base(nameof(SequenceClassifier))
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        model = new TransformerModel(options);
        head = nn.Linear(options.ModelDim, classes);
        register_module("model", model);
        register_module("head", head);
        using var generator = new Generator(options.Seed + 1, CPU);
        using var noGrad = no_grad();
        head.weight!.normal_(0, 0.02, generator);
        head.bias!.zero_();
        foreach (var parameter in head.parameters()) parameter.requires_grad = false;
        Classes = classes;
    }

    /// <summary>The transformer.</summary>
    public TransformerModel Model => model;

    /// <summary>Classes the head scores.</summary>
    public int Classes { get; }

    /// <summary>Class logits of each sequence.</summary>
    /// <param name="tokenIds">(batch, n) int64 token ids, padded on the left.</param>
    /// <returns>(batch, classes). The caller disposes it.</returns>
    public override Tensor forward(Tensor tokenIds)
    {
        using var scope = NewDisposeScope();
        var hidden = model.forward(tokenIds);
        return head.forward(hidden.select(1, -1)).MoveToOuterDisposeScope();
    }

    /// <summary>Turns gradient recording on (training) or off for every parameter.</summary>
    public void RequireGradients(bool required = true)
    {
        foreach (var parameter in parameters()) parameter.requires_grad = required;
    }

    /// <summary>
    /// The same weights with other attention settings: each layer's spec replaced by
    /// <paramref name="specFor"/>(its current spec), e.g. the global positions of a longer sequence.
    /// A routing layer keeps its learned centroids if the new spec carries them over.
    /// </summary>
    public SequenceClassifier WithAttention(Func<AttentionSpec, AttentionSpec> specFor)
    {
        ArgumentNullException.ThrowIfNull(specFor);
        var current = model.CurrentOptions;
        var options = current with { LayerAttention = [.. current.LayerAttention.Select(specFor)] };
        var copy = new SequenceClassifier(options, Classes);
        using var noGrad = no_grad();
        copy.load_state_dict(state_dict());
        copy.eval();
        return copy;
    }
}
