namespace DistributedAttention.Text;

/// <summary>
/// Titles of books of scripture (<c>Genesis</c>, <c>3 John</c>, <c>The First Book of Moses:
/// Called Genesis</c>): a line whose text starts with verse <c>1:1</c>, possibly after a
/// chapter index (a <c>Chapter</c> line and lines of chapter numbers).
/// </summary>
internal static class ScriptureTitle
{
    public static bool IsTitle(string text, List<TextLine> lines, int index)
    {
        ReadOnlySpan<char> title = lines[index].Trimmed(text);
        if (!char.IsLetterOrDigit(title[0]) || IsVerse(title) || title[^1] is '.' or ',' or ';')
        {
            return false;
        }

        var i = NextNonBlank(text, lines, index + 1);
        if (i < lines.Count && lines[i].Trimmed(text) is "Chapter" or "CHAPTER" or "Chapters" or "CHAPTERS")
        {
            i = NextNonBlank(text, lines, i + 1);
            while (i < lines.Count && IsNumberList(lines[i].Trimmed(text)))
            {
                i = NextNonBlank(text, lines, i + 1);
            }
        }

        return i < lines.Count && IsFirstVerse(lines[i].Trimmed(text));
    }

    private static bool IsFirstVerse(ReadOnlySpan<char> line) =>
        line.StartsWith("1:1", StringComparison.Ordinal) && (line.Length == 3 || char.IsWhiteSpace(line[3]));

    /// <summary>Starts like <c>12:3</c>.</summary>
    private static bool IsVerse(ReadOnlySpan<char> line)
    {
        var digits = 0;
        while (digits < line.Length && char.IsAsciiDigit(line[digits]))
        {
            digits++;
        }

        return digits > 0 && digits + 1 < line.Length && line[digits] == ':' && char.IsAsciiDigit(line[digits + 1]);
    }

    private static bool IsNumberList(ReadOnlySpan<char> line)
    {
        foreach (var ch in line)
        {
            if (!char.IsAsciiDigit(ch) && !char.IsWhiteSpace(ch))
            {
                return false;
            }
        }

        return true;
    }

    private static int NextNonBlank(string text, List<TextLine> lines, int from)
    {
        while (from < lines.Count && lines[from].IsBlank(text))
        {
            from++;
        }

        return from;
    }
}
