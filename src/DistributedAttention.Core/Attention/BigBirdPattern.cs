namespace DistributedAttention.Core.Attention;

/// <summary>BigBird's seeded random key blocks: a pure function of (seed, query block, key block count).</summary>
public static class BigBirdPattern
{
    /// <summary>
    /// The random key blocks of one query block: <paramref name="randomBlocks"/> distinct block
    /// indices drawn without replacement from the candidates (all key blocks, or those at or
    /// before the query block when causal), fewer when there are fewer candidates. Sorted.
    /// </summary>
    public static int[] RandomKeyBlocks(ulong seed, int queryBlock, int keyBlockCount, int randomBlocks, bool causal)
    {
        var candidates = causal ? Math.Min(queryBlock + 1, keyBlockCount) : keyBlockCount;
        var take = Math.Min(randomBlocks, candidates);
        if (take <= 0) return [];

        // Partial Fisher-Yates over the candidate indices, driven by a counter-based hash.
        var pool = new int[candidates];
        for (var i = 0; i < candidates; i++) pool[i] = i;
        for (var i = 0; i < take; i++)
        {
            var r = SplitMix64.Hash(seed, queryBlock, i);
            var j = i + (int)(r % (ulong)(candidates - i));
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        var result = pool[..take];
        Array.Sort(result);
        return result;
    }
}
