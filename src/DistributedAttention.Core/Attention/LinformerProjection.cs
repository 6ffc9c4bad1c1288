using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// Linformer's length projection E (k × n), a seeded function of absolute position: column j is
/// drawn from a generator seeded by (seed, j / 1024), entries N(0, 1) / sqrt(n). So E exists for
/// any n, and a shard can build exactly the columns of its own positions.
/// </summary>
public static class LinformerProjection
{
    private const long ColumnBlock = 1024;

    /// <summary>Columns <paramref name="start"/> .. start+count-1 of E for total length <paramref name="n"/>: (k, count).</summary>
    public static Tensor Columns(ulong seed, int k, long n, long start, long count, Device? device = null)
    {
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        for (var block = start / ColumnBlock; block * ColumnBlock < start + count; block++)
        {
            using var generator = new Generator(SplitMix64.Hash(seed, 0x11F0, block));
            var columns = randn(k, ColumnBlock, generator: generator);
            var from = Math.Max(start, block * ColumnBlock) - block * ColumnBlock;
            var to = Math.Min(start + count, (block + 1) * ColumnBlock) - block * ColumnBlock;
            parts.Add(columns.narrow(1, from, to - from));
        }
        using var root = Math.Sqrt(n).ToScalar();
        var e = (parts.Count == 0 ? zeros(k, 0) : cat(parts, 1)).div_(root);
        return e.to(device ?? CPU).MoveToOuterDisposeScope();
    }
}
