namespace DistributedAttention.Contracts;

/// <summary>Luna: a seeded packed sequence attends to the keys, then every query to the pack.</summary>
internal static class LunaMechanism
{
    private static readonly MechanismParameter PackedLength = MechanismParameter.Int("packed-length", "Luna packed length l.", s => s.PackedLength, (s, v) => s with { PackedLength = v });

    public static MechanismDescriptor Descriptor { get; } = new()
    {
        Kind = AttentionKind.Luna,
        Name = "luna",
        Summary = "A seeded packed sequence of l rows attends to the keys (pack); every query attends to the pack (unpack).",
        Parameters = [PackedLength, SharedParameters.Seed],
        Problems = spec => spec.PackedLength < 1 ? [$"Luna packed length must be >= 1 (got {spec.PackedLength})."] : [],
        // l packed rows score every key (pack), every query scores the l packed keys (unpack).
        AttentionPairs = (spec, n) => 2.0 * n * spec.PackedLength,
        SurveyRows = [new("Luna", (_, w) => new AttentionSpec { Kind = AttentionKind.Luna, PackedLength = Math.Max(1, w / 4), Causal = true })],
    };
}
