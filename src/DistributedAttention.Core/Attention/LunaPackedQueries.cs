using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// Luna's packed sequence P (l × d): entries N(0, 1) from a generator seeded by the spec's seed,
/// drawn on the CPU so every shard and every device builds the same rows. Shared by all heads.
/// </summary>
public static class LunaPackedQueries
{
    private const long Stream = 0x1A7A;

    /// <summary>The packed queries, (l, d) on <paramref name="device"/>.</summary>
    /// <param name="seed">The spec's seed.</param>
    /// <param name="packedLength">l.</param>
    /// <param name="dim">d, the key dimension.</param>
    /// <param name="device">Where the result lives (CPU when null).</param>
    public static Tensor Of(ulong seed, int packedLength, long dim, Device? device = null)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(SplitMix64.Hash(seed, Stream, dim));
        return randn(packedLength, dim, generator: generator).to(device ?? CPU).MoveToOuterDisposeScope();
    }
}
