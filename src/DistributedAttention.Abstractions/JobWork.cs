namespace DistributedAttention.Abstractions;

/// <summary>What a job computes: a model over tokens (<see cref="ModelWork"/>) or one attention call (<see cref="AttentionWork"/>).</summary>
[GenerateSerializer, Immutable, Alias("distattn.JobWork")]
public abstract record JobWork
{
    /// <summary>Model or attention.</summary>
    public abstract JobKind Kind { get; }

    /// <summary>Sequence length n: the dimension the shards split.</summary>
    public abstract long Length { get; }

    /// <summary>Layers the job runs (1 for attention).</summary>
    public abstract int Layers { get; }

    /// <summary>The inputs the client uploads to the shards, whole.</summary>
    public abstract IReadOnlyList<TensorLayout> Inputs { get; }

    /// <summary>The outputs the client reads from the shards, whole.</summary>
    public abstract IReadOnlyList<TensorLayout> Outputs { get; }

    /// <summary>Checks the work; every problem is named.</summary>
    /// <exception cref="ArgumentException">It is invalid.</exception>
    public abstract void Validate();

    /// <summary>The output called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">There is none.</exception>
    public TensorLayout Output(string name) =>
        Outputs.FirstOrDefault(o => o.Name == name)
        ?? throw new ArgumentException($"a {Kind} job has no output '{name}'; it has {string.Join(" and ", Outputs.Select(o => $"'{o.Name}'"))}.");
}

/// <summary>
/// The transformer model over <paramref name="Tokens"/> token ids; weights are seeded from the
/// options on every shard, or read from <paramref name="Weights"/> when given.
/// </summary>
/// <param name="Model">The model.</param>
/// <param name="Tokens">Number of tokens.</param>
/// <param name="Weights">Trained weights whose options equal <paramref name="Model"/>; null for seeded ones.</param>
[GenerateSerializer, Immutable, Alias("distattn.ModelWork")]
public sealed record ModelWork(TransformerOptions Model, long Tokens, ModelWeights? Weights = null) : JobWork
{
    /// <inheritdoc />
    public override JobKind Kind => JobKind.Model;

    /// <inheritdoc />
    public override long Length => Tokens;

    /// <inheritdoc />
    public override int Layers => Model.Layers;

    /// <inheritdoc />
    public override IReadOnlyList<TensorLayout> Inputs => [new("tokens", [Tokens], 0, ElementType.Int32)];

    /// <inheritdoc />
    public override IReadOnlyList<TensorLayout> Outputs => [new("hidden", [Tokens, Model.ModelDim], 0, ElementType.Float32)];

    /// <inheritdoc />
    public override void Validate()
    {
        if (Model is null) throw new ArgumentException("a model job needs model options.");
        Model.Validate();
        if (Tokens < 1) throw new ArgumentException($"a model job needs at least one token (got {Tokens}).");
        if (Weights is not null && (string.IsNullOrWhiteSpace(Weights.Path) || Weights.Sha256 is not { Length: 64 }))
            throw new ArgumentException("model weights need a path and a SHA-256 digest (64 hex digits).");
    }
}

/// <summary>One attention call over (batch, heads, n, d) tensors.</summary>
/// <param name="Spec">The mechanism and its parameters.</param>
/// <param name="Shape">Shapes of q, k and v.</param>
[GenerateSerializer, Immutable, Alias("distattn.AttentionWork")]
public sealed record AttentionWork(AttentionSpec Spec, AttentionShape Shape) : JobWork
{
    /// <inheritdoc />
    public override JobKind Kind => JobKind.Attention;

    /// <inheritdoc />
    public override long Length => Shape.Length;

    /// <inheritdoc />
    public override int Layers => 1;

    /// <inheritdoc />
    public override IReadOnlyList<TensorLayout> Inputs =>
    [
        new("q", [Shape.Batch, Shape.Heads, Shape.Length, Shape.HeadDim], 2, ElementType.Float32),
        new("k", [Shape.Batch, Shape.Heads, Shape.Length, Shape.HeadDim], 2, ElementType.Float32),
        new("v", [Shape.Batch, Shape.Heads, Shape.Length, Shape.ValueDim], 2, ElementType.Float32),
    ];

    /// <summary>o, and lse where the mechanism defines it (not Performer).</summary>
    public override IReadOnlyList<TensorLayout> Outputs => !MechanismRegistry.For(Spec.Kind).DefinesLse
        ? [new("o", [Shape.Batch, Shape.Heads, Shape.Length, Shape.ValueDim], 2, ElementType.Float32)]
        : [new("o", [Shape.Batch, Shape.Heads, Shape.Length, Shape.ValueDim], 2, ElementType.Float32), new("lse", [Shape.Batch, Shape.Heads, Shape.Length], 2, ElementType.Float32)];

    /// <inheritdoc />
    public override void Validate()
    {
        if (Spec is null) throw new ArgumentException("an attention job needs an attention spec.");
        if (Shape is null) throw new ArgumentException("an attention job needs the shapes of q, k and v.");
        Spec.Validate();
        if (Shape.Batch < 1 || Shape.Heads < 1 || Shape.HeadDim < 1 || Shape.ValueDim < 1)
            throw new ArgumentException($"batch, heads, head dim and value dim must be >= 1 (got {Shape.Batch}, {Shape.Heads}, {Shape.HeadDim}, {Shape.ValueDim}).");
        if (Shape.Length < 1) throw new ArgumentException($"the sequence must have at least one position (got n = {Shape.Length}).");
        var outside = Spec.GlobalPositions.FirstOrDefault(p => p >= Shape.Length, -1);
        if (outside >= 0) throw new ArgumentException($"global position {outside} is outside the sequence of {Shape.Length} positions.");
    }
}
