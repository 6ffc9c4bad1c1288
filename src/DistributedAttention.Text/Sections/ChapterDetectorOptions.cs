namespace DistributedAttention.Text;

/// <summary>Options of <see cref="ChapterDetector"/>.</summary>
public sealed record ChapterDetectorOptions
{
    /// <summary>The defaults.</summary>
    public static ChapterDetectorOptions Default { get; } = new();

    /// <summary>
    /// Letters a heading must be followed by before the next heading, unless it is followed by a
    /// deeper heading that qualifies (<c>BOOK TWO</c> then <c>CHAPTER I</c>). This is what keeps a
    /// table of contents, many headings with nothing between them, from counting as chapters.
    /// </summary>
    public int MinBodyLetters { get; init; } = 100;

    /// <summary>A longer line is never a heading.</summary>
    public int MaxHeadingChars { get; init; } = 80;

    /// <summary>Size of the fixed-size sections used when a text has no heading at all.</summary>
    public int FallbackSectionChars { get; init; } = 50_000;
}
