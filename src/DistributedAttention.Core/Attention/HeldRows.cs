using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// Consecutive rows (dim 1 of (bh, rows, d) tensors) held as pieces, such as a shard's own keys
/// between the halos from its neighbours, read without first copying them into one tensor.
/// </summary>
/// <remarks>
/// A window kernel reads its keys a span at a time; only spans that cross from one piece into
/// the next need a copy, and those are a few rows. Joining a shard's keys and halos into one
/// tensor instead copied the whole shard, into fresh memory, twice per layer.
/// The caller owns the pieces and keeps them alive while this is used.
/// </remarks>
internal sealed class HeldRows
{
    private readonly Tensor[] pieces;
    private readonly long[] starts;

    /// <summary>Rows of <paramref name="pieces"/> in order (empty pieces are skipped; at least one must have rows or all be empty).</summary>
    public HeldRows(params Tensor[] pieces)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        if (pieces.Length == 0) throw new ArgumentException("held rows need at least one piece.", nameof(pieces));
        First = pieces[0];
        this.pieces = pieces.Where(p => p.shape[1] > 0).ToArray();
        starts = new long[this.pieces.Length];
        long length = 0;
        for (var i = 0; i < this.pieces.Length; i++)
        {
            starts[i] = length;
            length += this.pieces[i].shape[1];
        }
        Length = length;
    }

    /// <summary>The first piece (for shape, dtype and device).</summary>
    public Tensor First { get; }

    /// <summary>Rows held in all.</summary>
    public long Length { get; }

    /// <summary>
    /// Rows <paramref name="from"/> .. <paramref name="from"/> + <paramref name="length"/> − 1: a view
    /// when they lie in one piece, else a copy of the parts joined.
    /// </summary>
    public Tensor Slice(long from, long length)
    {
        if (from < 0 || length < 0 || from + length > Length)
            throw new ArgumentOutOfRangeException(nameof(from), $"rows {from}..{from + length} are outside the {Length} held.");
        if (length == 0 || pieces.Length == 0) return First.narrow(1, 0, 0);
        var i = Array.BinarySearch(starts, from);
        if (i < 0) i = ~i - 1;
        var offset = from - starts[i];
        if (offset + length <= pieces[i].shape[1]) return pieces[i].narrow(1, offset, length);
        var parts = new List<Tensor>();
        for (var remaining = length; remaining > 0; i++, offset = 0)
        {
            var take = Math.Min(remaining, pieces[i].shape[1] - offset);
            parts.Add(pieces[i].narrow(1, offset, take));
            remaining -= take;
        }
        return cat(parts, 1);
    }

    /// <summary>All rows as one tensor (a view when there is one piece).</summary>
    public Tensor Whole() => Slice(0, Length);
}
