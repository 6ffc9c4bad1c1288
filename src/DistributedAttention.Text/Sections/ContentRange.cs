namespace DistributedAttention.Text;

/// <summary>Where a book's own text lies inside a decoded file: chars <c>[Start, End)</c>.</summary>
/// <param name="Start">First char of the book's text.</param>
/// <param name="End">One past its last char.</param>
/// <param name="HasStartMarker">A Project Gutenberg <c>*** START OF …</c> line was found; <see cref="Start"/> is after it.</param>
/// <param name="HasEndMarker">A Project Gutenberg <c>*** END OF …</c> line was found; <see cref="End"/> is before it.</param>
public sealed record ContentRange(int Start, int End, bool HasStartMarker, bool HasEndMarker)
{
    /// <summary>Number of chars.</summary>
    public int Length => End - Start;
}
