namespace DistributedAttention.Contracts;

/// <summary>Linformer: keys and values projected to a fixed length.</summary>
internal static class LinformerMechanism
{
    private static readonly MechanismParameter ProjectedLength = MechanismParameter.Int("projected-length", "Linformer projected length k.", s => s.ProjectedLength, (s, v) => s with { ProjectedLength = v });

    public static MechanismDescriptor Descriptor { get; } = new()
    {
        Kind = AttentionKind.Linformer,
        Name = "linformer",
        Summary = "Keys and values projected along the sequence to k rows by a seeded projection of absolute positions.",
        Parameters = [ProjectedLength, SharedParameters.Seed],
        NoCausalForm = "its projection mixes future positions into every key",
        Problems = Problems,
        AttentionPairs = (spec, n) => (double)n * spec.ProjectedLength,
        SurveyRows = [new("Linformer", (_, w) => new AttentionSpec { Kind = AttentionKind.Linformer, ProjectedLength = w })],
    };

    private static IEnumerable<string> Problems(AttentionSpec spec)
    {
        if (spec.ProjectedLength < 1) yield return $"Linformer projected length must be >= 1 (got {spec.ProjectedLength}).";
        if (spec.Causal) yield return "Linformer is not defined for causal attention (its projection mixes future positions).";
    }
}
