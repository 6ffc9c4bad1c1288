namespace DistributedAttention.Contracts;

/// <summary>BigBird: window, global tokens and seeded random key blocks.</summary>
internal static class BigBirdMechanism
{
    private static readonly MechanismParameter BlockSize = MechanismParameter.Int("block-size", "BigBird block size.", s => s.BlockSize, (s, v) => s with { BlockSize = v });
    private static readonly MechanismParameter RandomBlocks = MechanismParameter.Int("random-blocks", "BigBird random key blocks per query block.", s => s.RandomBlocks, (s, v) => s with { RandomBlocks = v });

    public static MechanismDescriptor Descriptor { get; } = new()
    {
        Kind = AttentionKind.BigBird,
        Name = "bigbird",
        Summary = "The window and global tokens, plus seeded random key blocks for each block of queries.",
        Windowed = true,
        Parameters = [SharedParameters.Dilation, BlockSize, RandomBlocks, SharedParameters.Seed],
        Problems = Problems,
        AttentionPairs = (spec, n) => WindowMechanism.Band(spec, n) + ((double)n * spec.RandomBlocks * spec.BlockSize),
        SurveyRows = [new("BigBird", (n, w) => new AttentionSpec { Kind = AttentionKind.BigBird, WindowLeft = w / 2, WindowRight = 0, BlockSize = Math.Max(1, w / 8), RandomBlocks = 2, Causal = true, GlobalPositions = SurveyRow.GlobalsEvery(n, 4 * w) })],
    };

    private static IEnumerable<string> Problems(AttentionSpec spec)
    {
        if (spec.BlockSize < 1) yield return $"BigBird block size must be >= 1 (got {spec.BlockSize}).";
        if (spec.RandomBlocks < 0) yield return $"BigBird random blocks must be >= 0 (got {spec.RandomBlocks}).";
    }
}
