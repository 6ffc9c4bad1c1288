namespace DistributedAttention.Text;

/// <summary>
/// A span of a book's text that starts at a heading and runs to the next heading of any level.
/// Sections are flat, ordered, contiguous and cover the whole text; <see cref="Level"/> tells
/// divisions (1: books, parts, epilogues) from chapters (2).
/// </summary>
/// <param name="Title">The heading line as written, trimmed (e.g. <c>BOOK TWO: 1805</c>, <c>CHAPTER XII.</c>).</param>
/// <param name="Level">0 front matter, 1 division, 2 chapter.</param>
/// <param name="Kind">What kind of heading opened the section.</param>
/// <param name="CharStart">First char (the start of the heading line).</param>
/// <param name="CharEnd">One past the last char: the next section's <see cref="CharStart"/>.</param>
public sealed record Section(string Title, int Level, SectionKind Kind, int CharStart, int CharEnd)
{
    /// <summary>First token, once <see cref="WithTokenRange"/> has set it; otherwise -1.</summary>
    public int TokenStart { get; init; } = -1;

    /// <summary>One past the last token, once <see cref="WithTokenRange"/> has set it; otherwise -1.</summary>
    public int TokenEnd { get; init; } = -1;

    /// <summary>Whether <see cref="TokenStart"/> and <see cref="TokenEnd"/> are set.</summary>
    public bool HasTokenRange => TokenStart >= 0;

    /// <summary>Number of chars.</summary>
    public int CharCount => CharEnd - CharStart;

    /// <summary>Number of tokens (0 until the token range is set).</summary>
    public int TokenCount => HasTokenRange ? TokenEnd - TokenStart : 0;

    /// <summary>
    /// This section with its token range: the tokens whose first char lies in
    /// <c>[CharStart, CharEnd)</c>. Applied to contiguous sections that cover a text, the
    /// ranges are contiguous and cover all its tokens.
    /// </summary>
    /// <param name="tokens">The encoding of the same text the sections were found in.</param>
    public Section WithTokenRange(TokenizedText tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        (var start, var end) = tokens.TokenRange(CharStart, CharEnd);
        return this with { TokenStart = start, TokenEnd = end };
    }

    /// <summary>Sets the token range of every section (see <see cref="WithTokenRange"/>).</summary>
    /// <param name="sections">Sections of the text that <paramref name="tokens"/> encodes.</param>
    /// <param name="tokens">The encoding of that text.</param>
    public static IReadOnlyList<Section> WithTokenRanges(IEnumerable<Section> sections, TokenizedText tokens)
    {
        ArgumentNullException.ThrowIfNull(sections);
        return [.. sections.Select(s => s.WithTokenRange(tokens))];
    }
}
