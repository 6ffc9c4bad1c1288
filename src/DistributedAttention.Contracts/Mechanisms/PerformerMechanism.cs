namespace DistributedAttention.Contracts;

/// <summary>Performer FAVOR+: positive orthogonal random features.</summary>
internal static class PerformerMechanism
{
    private static readonly MechanismParameter Features = MechanismParameter.Int("features", "Performer random features m.", s => s.Features, (s, v) => s with { Features = v });

    public static MechanismDescriptor Descriptor { get; } = new()
    {
        Kind = AttentionKind.Performer,
        Name = "performer",
        Summary = "Softmax attention approximated by m seeded positive orthogonal random features (FAVOR+); no log-sum-exp.",
        Parameters = [Features, SharedParameters.Seed],
        DefinesLse = false,
        Problems = spec => spec.Features < 1 ? [$"Performer feature count must be >= 1 (got {spec.Features})."] : [],
        // The feature maps of q and k and the two products with them: about 2·m per query.
        AttentionPairs = (spec, n) => 2.0 * n * spec.Features,
        SurveyRows = [new("Performer", (_, w) => new AttentionSpec { Kind = AttentionKind.Performer, Features = w, Causal = true })],
    };
}
