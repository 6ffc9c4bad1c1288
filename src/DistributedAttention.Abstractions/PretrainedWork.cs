using DistributedAttention.Contracts;

namespace DistributedAttention.Abstractions;

/// <summary>
/// A pretrained decoder (<see cref="PretrainedModel"/>) over <paramref name="Tokens"/> token ids:
/// every token's final-norm hidden state, and, scored on the shards through the output head, the
/// log-probability of the token that follows it and the entropy of the prediction.
/// </summary>
/// <param name="Model">The model folder.</param>
/// <param name="Tokens">Number of tokens.</param>
/// <remarks>
/// Inputs: <c>tokens</c>, and <c>targets</c>, the id of each token's successor (−1 after the last),
/// so a shard scores its own rows without asking its neighbour. Outputs: <c>hidden</c> (n, hidden),
/// <c>logprob</c> and <c>entropy</c> (n; NaN after the last token, which has no successor).
/// </remarks>
[GenerateSerializer, Immutable, Alias("distattn.PretrainedWork")]
public sealed record PretrainedWork(PretrainedModel Model, long Tokens) : JobWork
{
    /// <inheritdoc />
    public override JobKind Kind => JobKind.Pretrained;

    /// <inheritdoc />
    public override long Length => Tokens;

    /// <inheritdoc />
    public override int Layers => Model.Layers;

    /// <inheritdoc />
    public override IReadOnlyList<TensorLayout> Inputs => [new("tokens", [Tokens], 0, ElementType.Int32), new("targets", [Tokens], 0, ElementType.Int32)];

    /// <inheritdoc />
    public override IReadOnlyList<TensorLayout> Outputs =>
    [
        new("hidden", [Tokens, Model.HiddenSize], 0, ElementType.Float32),
        new("logprob", [Tokens], 0, ElementType.Float32),
        new("entropy", [Tokens], 0, ElementType.Float32),
    ];

    /// <inheritdoc />
    public override void Validate()
    {
        if (Model is null) throw new ArgumentException("a pretrained job needs its model folder.");
        Model.Validate();
        if (Tokens < 1) throw new ArgumentException($"a pretrained job needs at least one token (got {Tokens}).");
    }
}
