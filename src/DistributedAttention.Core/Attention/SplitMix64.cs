namespace DistributedAttention.Core.Attention;

/// <summary>
/// A tiny counter-based generator: every random choice in the core is a pure function of
/// (seed, absolute index), so each shard draws exactly what a single device would.
/// </summary>
internal static class SplitMix64
{
    /// <summary>Mixes <paramref name="x"/> into a well-distributed 64-bit value.</summary>
    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    /// <summary>A value derived from a seed and a stream of indices.</summary>
    public static ulong Hash(ulong seed, params ReadOnlySpan<long> indices)
    {
        var h = Mix(seed);
        foreach (var i in indices)
        {
            h = Mix(h ^ (ulong)i);
        }
        return h;
    }
}
