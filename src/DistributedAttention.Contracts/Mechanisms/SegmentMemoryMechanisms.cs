namespace DistributedAttention.Contracts;

/// <summary>Transformer-XL and the Compressive Transformer: a segment plus a memory of the tokens before it.</summary>
internal static class SegmentMemoryMechanisms
{
    private static readonly MechanismParameter SegmentLength = MechanismParameter.Int("segment-length", "Transformer-XL / compressive segment length S.", s => s.SegmentLength, (s, v) => s with { SegmentLength = v });
    private static readonly MechanismParameter MemoryLength = MechanismParameter.Int("memory-length", "Transformer-XL / compressive memory length M.", s => s.MemoryLength, (s, v) => s with { MemoryLength = v });
    private static readonly MechanismParameter CompressionRate = MechanismParameter.Int("compression-rate", "Compressive memory: tokens pooled per slot c.", s => s.CompressionRate, (s, v) => s with { CompressionRate = v });
    private static readonly MechanismParameter CompressedLength = MechanismParameter.Int("compressed-length", "Compressive memory length Mc in slots.", s => s.CompressedLength, (s, v) => s with { CompressedLength = v });

    public static MechanismDescriptor TransformerXl { get; } = new()
    {
        Kind = AttentionKind.TransformerXl,
        Name = "xl",
        Aliases = ["transformer-xl", "transformerxl"],
        Summary = "Causal attention within a segment of S tokens plus a memory of the M tokens before it.",
        Parameters = [SegmentLength, MemoryLength],
        Problems = SegmentProblems,
        AttentionPairs = (spec, n) => (double)n * (spec.SegmentLength + spec.MemoryLength),
        SurveyRows = [new("Transformer-XL", (_, w) => new AttentionSpec { Kind = AttentionKind.TransformerXl, SegmentLength = w, MemoryLength = w, Causal = true })],
    };

    public static MechanismDescriptor Compressive { get; } = new()
    {
        Kind = AttentionKind.Compressive,
        Name = "compressive",
        Summary = "Transformer-XL's memory plus Mc slots of older tokens, mean-pooled c to a slot.",
        Parameters = [SegmentLength, MemoryLength, CompressionRate, CompressedLength],
        Problems = spec => SegmentProblems(spec).Concat(CompressionProblems(spec)),
        AttentionPairs = (spec, n) => (double)n * (spec.SegmentLength + spec.MemoryLength),
        SurveyRows = [new("compressive", (_, w) => new AttentionSpec { Kind = AttentionKind.Compressive, SegmentLength = w, MemoryLength = w / 2, CompressionRate = 4, CompressedLength = Math.Max(1, w / 4), Causal = true })],
    };

    private static IEnumerable<string> SegmentProblems(AttentionSpec spec)
    {
        if (spec.SegmentLength < 1) yield return $"segment length must be >= 1 (got {spec.SegmentLength}).";
        if (spec.MemoryLength < 0) yield return $"memory length must be >= 0 (got {spec.MemoryLength}).";
    }

    private static IEnumerable<string> CompressionProblems(AttentionSpec spec)
    {
        if (spec.CompressionRate < 1)
        {
            yield return $"compression rate must be >= 1 (got {spec.CompressionRate}).";
            yield break;
        }
        if (spec.CompressedLength < 0) yield return $"compressed length must be >= 0 (got {spec.CompressedLength}).";
        if (spec.SegmentLength % spec.CompressionRate != 0 || spec.MemoryLength % spec.CompressionRate != 0)
            yield return $"segment length ({spec.SegmentLength}) and memory length ({spec.MemoryLength}) must be multiples of the compression rate ({spec.CompressionRate}).";
    }
}
