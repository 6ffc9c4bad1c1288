namespace DistributedAttention.Training.Tasks;

/// <summary>
/// A generated sequence-classification task: a model reads the whole sequence and names its class
/// from the hidden state of the last position (the only one a causal model lets see everything).
/// </summary>
public interface IClassificationTask
{
    /// <summary>The task's name in reports.</summary>
    string Name { get; }

    /// <summary>Token ids are in [0, VocabSize).</summary>
    int VocabSize { get; }

    /// <summary>Classes are in [0, Classes).</summary>
    int Classes { get; }

    /// <summary>The id batches are padded with, on the left, so every sequence ends at the last position.</summary>
    int PadToken { get; }

    /// <summary>One example drawn from <paramref name="random"/> (the same state gives the same example).</summary>
    ClassificationExample Generate(Random random);
}
