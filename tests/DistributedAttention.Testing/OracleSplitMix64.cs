namespace DistributedAttention.Testing;

/// <summary>
/// SplitMix64 written from the published algorithm (Steele, Lea and Flood, 2014), for the
/// oracle's own copy of BigBird's random blocks. It deliberately does not call the production
/// generator: the two are tied together only by tests.
/// </summary>
public static class OracleSplitMix64
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;   // 2⁶⁴ / φ, odd

    /// <summary>One SplitMix64 output for the state <paramref name="state"/>: advance by γ, then the finaliser.</summary>
    public static ulong Next(ulong state)
    {
        var z = unchecked(state + Gamma);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    /// <summary>
    /// The counter-based hash of the contract: start from Next(seed), then fold in each index
    /// i (as its 64-bit two's complement) by h ← Next(h xor i).
    /// </summary>
    public static ulong Hash(ulong seed, params long[] indices)
    {
        var h = Next(seed);
        for (var t = 0; t < indices.Length; t++) h = Next(h ^ unchecked((ulong)indices[t]));
        return h;
    }
}
