namespace DistributedAttention.Testing;

/// <summary>
/// The oracle's own statement of BigBird's random key blocks. Definition: for query block qb
/// among K key blocks the candidates are 0..C−1 with C = K, or C = min(qb + 1, K) when causal
/// (blocks at or before the query block); take t = min(r, C) of them by a partial Fisher-Yates
/// shuffle whose step s (s = 0..t−1) swaps slot s with slot s + (h mod (C − s)),
/// h = SplitMix64.Hash(seed, qb, s); the result is the first t slots, sorted.
/// </summary>
public static class OracleBigBirdBlocks
{
    /// <summary>The sorted random key blocks of query block <paramref name="queryBlock"/>.</summary>
    public static int[] Of(ulong seed, int queryBlock, int keyBlocks, int randomBlocks, bool causal)
    {
        long candidates = causal ? Math.Min((long)queryBlock + 1, keyBlocks) : keyBlocks;
        var take = Math.Min(randomBlocks, candidates);
        if (take <= 0) return [];

        // The shuffled prefix, kept sparse: slots not in `moved` still hold their own index.
        var moved = new Dictionary<long, long>();
        long At(long slot) => moved.TryGetValue(slot, out var value) ? value : slot;
        for (long s = 0; s < take; s++)
        {
            var h = OracleSplitMix64.Hash(seed, queryBlock, s);
            var other = s + (long)(h % (ulong)(candidates - s));
            var (a, b) = (At(s), At(other));
            moved[s] = b;
            moved[other] = a;
        }
        var chosen = new int[take];
        for (long s = 0; s < take; s++) chosen[s] = (int)At(s);
        Array.Sort(chosen);
        return chosen;
    }
}
