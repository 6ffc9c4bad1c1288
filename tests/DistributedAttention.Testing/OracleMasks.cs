using DistributedAttention.Contracts;
using static TorchSharp.torch;

namespace DistributedAttention.Testing;

/// <summary>
/// Visibility masks written out per (query i, key j) from the attention contract, with plain
/// loops and no production helper, so a wrong production mask cannot agree with them by
/// sharing code. All positions are absolute, 0..n−1.
/// </summary>
public static class OracleMasks
{
    /// <summary>
    /// The (n × n) boolean mask of <paramref name="spec"/> (true = query row i sees key column
    /// j). Defined for Full, Window, BigBird and TransformerXl; Compressive adds pooled slots
    /// (see <see cref="DenseOracle.Compressive"/>), Linformer and Performer have no mask.
    /// </summary>
    public static Tensor Mask(AttentionSpec spec, long n, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var visible = new bool[n * n];
        Func<long, long, bool> sees = spec.Kind switch
        {
            AttentionKind.Full => (_, _) => true,
            AttentionKind.Window => WindowOrGlobal(spec, n, randomBlocks: null),
            AttentionKind.BigBird => WindowOrGlobal(spec, n, RandomBlocksPerQueryBlock(spec, n)),
            AttentionKind.TransformerXl => (i, j) => XlSees(spec, i, j),
            _ => throw new ArgumentException($"no dense mask for {spec.Kind}; it has its own reference.", nameof(spec)),
        };
        for (long i = 0; i < n; i++)
        {
            for (long j = 0; j < n; j++)
            {
                // Causality applies last, to every part (window, random blocks, global rows and columns).
                visible[i * n + j] = sees(i, j) && (!spec.Causal || j <= i);
            }
        }
        return tensor(visible, [n, n], device: device);
    }

    /// <summary>
    /// The dilated window alone, without causality or global tokens: i − left·δ ≤ j ≤ i + right·δ
    /// (a null side unbounded) and (j − i) mod δ = 0.
    /// </summary>
    public static bool WindowSees(AttentionSpec spec, long i, long j)
    {
        ArgumentNullException.ThrowIfNull(spec);
        long step = spec.Dilation;
        if (spec.WindowLeft is { } left && j < i - left * step) return false;
        if (spec.WindowRight is { } right && j > i + right * step) return false;
        return (j - i) % step == 0;
    }

    /// <summary>Transformer-XL: the query's own segment up to itself plus the M positions before the segment.</summary>
    public static bool XlSees(AttentionSpec spec, long i, long j)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return j >= SegmentStart(spec, i) - spec.MemoryLength && j <= i;
    }

    /// <summary>
    /// Compressive memory: query i sees compressed slot t (the mean of tokens [t·c, (t+1)·c)) when
    /// the slot ends at or before its raw memory starts, m = segmentStart(i) − M, and is among the
    /// last Mc such slots: m − Mc·c &lt; (t+1)·c ≤ m.
    /// </summary>
    public static bool SlotSees(AttentionSpec spec, long i, long t)
    {
        ArgumentNullException.ThrowIfNull(spec);
        long c = spec.CompressionRate;
        var memoryStart = SegmentStart(spec, i) - spec.MemoryLength;
        var slotEnd = (t + 1) * c;
        return slotEnd <= memoryStart && slotEnd > memoryStart - spec.CompressedLength * c;
    }

    /// <summary>First position of the segment holding position <paramref name="i"/>.</summary>
    public static long SegmentStart(AttentionSpec spec, long i)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return i - i % spec.SegmentLength;
    }

    /// <summary>Window, then BigBird random blocks (when given), then global rows and columns (positions ≥ n ignored).</summary>
    private static Func<long, long, bool> WindowOrGlobal(AttentionSpec spec, long n, HashSet<int>[]? randomBlocks)
    {
        var global = new bool[n];
        foreach (var g in spec.GlobalPositions)
        {
            if (g < n) global[g] = true;
        }
        return (i, j) =>
            WindowSees(spec, i, j)
            || (randomBlocks is not null && randomBlocks[i / spec.BlockSize].Contains((int)(j / spec.BlockSize)))
            || global[i]
            || global[j];
    }

    /// <summary>For each query block, the key blocks it sees at random (the oracle's own definition).</summary>
    private static HashSet<int>[] RandomBlocksPerQueryBlock(AttentionSpec spec, long n)
    {
        var blocks = (int)((n + spec.BlockSize - 1) / spec.BlockSize);
        var table = new HashSet<int>[blocks];
        for (var qb = 0; qb < blocks; qb++)
        {
            table[qb] = [.. OracleBigBirdBlocks.Of(spec.Seed, qb, blocks, spec.RandomBlocks, spec.Causal)];
        }
        return table;
    }
}
