using DistributedAttention.Text;

namespace DistributedAttention.Training;

/// <summary>
/// One book cut into the tokens training may read and the sections it must not: the last
/// sections of the book, whole, until they hold at least the held-out fraction of its tokens.
/// </summary>
/// <param name="Book">The book's file name.</param>
/// <param name="Train">The tokens before the first held-out section.</param>
/// <param name="HeldOut">The held-out sections in book order.</param>
public sealed record BookSplit(string Book, int[] Train, IReadOnlyList<HeldOutSection> HeldOut)
{
    /// <summary>Held-out tokens in all.</summary>
    public long HeldOutTokens => HeldOut.Sum(s => (long)s.Tokens.Length);

    /// <summary>Splits <paramref name="book"/>, holding out at least <paramref name="fraction"/> of its tokens.</summary>
    /// <remarks>
    /// A book whose sections cannot be split (one section, or its last section alone is more than
    /// half the book) holds out its last tokens as one span named for that.
    /// </remarks>
    public static BookSplit Of(Book book, double fraction)
    {
        ArgumentNullException.ThrowIfNull(book);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(fraction, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(fraction, 1);
        var name = Path.GetFileName(book.SourceName);
        var ids = book.TokenIds;
        var wanted = (int)Math.Ceiling(fraction * ids.Length);
        var sections = book.Sections.Where(s => s.TokenCount > 0).ToList();

        var first = sections.Count;
        var held = 0;
        while (first > 1 && held < wanted)
        {
            first--;
            held += sections[first].TokenCount;
        }
        if (held < wanted || held > ids.Length / 2)
        {
            var start = ids.Length - wanted;
            return new BookSplit(name, ids[..start], [new HeldOutSection(name, $"last {wanted:N0} tokens", start, ids[start..])]);
        }
        var heldOut = sections.Skip(first).Select(s => new HeldOutSection(name, s.Title, s.TokenStart, ids[s.TokenStart..s.TokenEnd])).ToList();
        return new BookSplit(name, ids[..sections[first].TokenStart], heldOut);
    }
}
