using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;

namespace DistributedAttention.Model.Tests;

/// <summary>Small model configurations for tests.</summary>
internal static class TestModels
{
    /// <summary>One layer of each kind the dense fallback supports.</summary>
    public static readonly AttentionSpec[] MixedSpecs =
    [
        new() { Kind = AttentionKind.Window, WindowLeft = 4, WindowRight = 4, GlobalPositions = [0, 17] },
        new() { Kind = AttentionKind.Full, WindowLeft = null, WindowRight = null },
        new() { Kind = AttentionKind.BigBird, WindowLeft = 3, WindowRight = 3, BlockSize = 8, RandomBlocks = 2, GlobalPositions = [5], Seed = 99 },
        new() { Kind = AttentionKind.TransformerXl, SegmentLength = 16, MemoryLength = 8, Causal = true },
    ];

    public static TransformerOptions Options(ulong seed = 1, int layers = 2, IReadOnlyList<AttentionSpec>? specs = null) => new()
    {
        VocabSize = 97,
        ModelDim = 32,
        Heads = 4,
        Layers = layers,
        FeedForwardDim = 64,
        Seed = seed,
        LayerAttention = specs ?? TransformerOptions.Uniform(new AttentionSpec { Kind = AttentionKind.Full, WindowLeft = null, WindowRight = null }, layers),
    };
}
