using System.Text.RegularExpressions;

namespace DistributedAttention.Text;

/// <summary>
/// Finds the book inside a Project Gutenberg file: the text between the
/// <c>*** START OF THE PROJECT GUTENBERG EBOOK …</c> and <c>*** END OF …</c> lines, which leaves
/// out the header and the licence. Either marker may be missing (a truncated file).
/// </summary>
public static partial class GutenbergBoilerplate
{
    [GeneratedRegex(@"^\*{3}\s*START OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK\b.*$", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex StartMarker();

    [GeneratedRegex(@"^\*{3}\s*END OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK\b.*$", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex EndMarker();

    /// <summary>
    /// The range of the book's own text. Where a marker is found, the blank lines next to it are
    /// left out too; without markers the whole text is the content.
    /// </summary>
    /// <param name="text">A decoded file with <c>\n</c> line endings.</param>
    public static ContentRange FindContent(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Match start = StartMarker().Match(text);
        var from = start.Success ? start.Index + start.Length : 0;
        Match end = EndMarker().Match(text, from);
        var to = end.Success ? end.Index : text.Length;

        if (start.Success)
        {
            while (from < to && char.IsWhiteSpace(text[from]))
            {
                from++;
            }
        }

        if (end.Success)
        {
            while (to > from && char.IsWhiteSpace(text[to - 1]))
            {
                to--;
            }
        }

        return new ContentRange(from, to, start.Success, end.Success);
    }
}
