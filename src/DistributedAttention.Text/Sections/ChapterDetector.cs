namespace DistributedAttention.Text;

/// <summary>
/// Finds the chapter and division headings of a decoded book (line endings <c>\n</c>) and cuts
/// it into <see cref="Section"/>s.
/// </summary>
/// <remarks>
/// <para>A heading is a short line after a blank line (or at the start) that is either a
/// numbered or named heading (<c>CHAPTER IV</c>, <c>BOOK TWO: 1805</c>, <c>FIRST EPILOGUE</c>,
/// <c>PREFACE</c>; see <see cref="HeadingPatterns"/>) or the title of a book of scripture: a line
/// whose text, after an optional chapter index (<c>Chapter</c> and lines of numbers), starts
/// with verse <c>1:1</c>.</para>
/// <para>A candidate only counts if real text follows it: at least
/// <see cref="ChapterDetectorOptions.MinBodyLetters"/> letters before the next candidate, or a
/// deeper heading that counts. Tables of contents and navigation lines fail that test.</para>
/// <para>Text before the first heading becomes a <see cref="SectionKind.FrontMatter"/> section.
/// A text with no heading is cut into <see cref="SectionKind.FixedSize"/> sections.</para>
/// </remarks>
public sealed class ChapterDetector
{
    private readonly ChapterDetectorOptions _options;

    /// <summary>Creates a detector.</summary>
    /// <param name="options">Options; <c>null</c> for the defaults.</param>
    public ChapterDetector(ChapterDetectorOptions? options = null)
    {
        _options = options ?? ChapterDetectorOptions.Default;
    }

    /// <summary>
    /// Sections of <paramref name="text"/>: ordered, contiguous, covering <c>[0, text.Length)</c>;
    /// empty only for a text without any non-space char.
    /// </summary>
    /// <param name="text">The decoded book with <c>\n</c> line endings.</param>
    public IReadOnlyList<Section> Detect(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        List<TextLine> lines = TextLine.Split(text);
        List<Candidate> accepted = Accept(text, lines, FindCandidates(text, lines));
        if (accepted.Count == 0)
        {
            return FixedSizeSections.Split(text, _options.FallbackSectionChars);
        }

        var sections = new List<Section>(accepted.Count + 1);
        var firstStart = lines[accepted[0].Line].Start;
        if (!text.AsSpan(0, firstStart).IsWhiteSpace())
        {
            sections.Add(new Section("Front matter", 0, SectionKind.FrontMatter, 0, firstStart));
        }

        for (var i = 0; i < accepted.Count; i++)
        {
            Candidate c = accepted[i];
            var start = sections.Count == 0 ? 0 : lines[c.Line].Start;
            var end = i + 1 < accepted.Count ? lines[accepted[i + 1].Line].Start : text.Length;
            sections.Add(new Section(c.Heading.Title, c.Heading.Level, c.Heading.Kind, start, end));
        }

        return sections;
    }

    private List<Candidate> FindCandidates(string text, List<TextLine> lines)
    {
        var candidates = new List<Candidate>();
        for (var i = 0; i < lines.Count; i++)
        {
            ReadOnlySpan<char> span = lines[i].Trimmed(text);
            var afterBlank = i == 0 || lines[i - 1].IsBlank(text);
            if (span.IsEmpty || span.Length > _options.MaxHeadingChars || !afterBlank)
            {
                continue;
            }

            var trimmed = span.ToString();
            HeadingMatch? heading = HeadingPatterns.Match(trimmed);
            if (heading is null && ScriptureTitle.IsTitle(text, lines, i))
            {
                heading = new HeadingMatch(SectionKind.Book, HeadingPatterns.DivisionLevel, trimmed);
            }

            if (heading is { } h)
            {
                candidates.Add(new Candidate(i, h));
            }
        }

        return candidates;
    }

    /// <summary>Keeps candidates followed by body text, or by a deeper heading that is kept.</summary>
    private List<Candidate> Accept(string text, List<TextLine> lines, List<Candidate> candidates)
    {
        var keep = new bool[candidates.Count];
        for (var k = candidates.Count - 1; k >= 0; k--)
        {
            var bodyFrom = lines[candidates[k].Line].End;
            var bodyTo = k + 1 < candidates.Count ? lines[candidates[k + 1].Line].Start : text.Length;
            var hasBody = CountLetters(text.AsSpan(bodyFrom, bodyTo - bodyFrom), _options.MinBodyLetters) >= _options.MinBodyLetters;
            var opensDeeper = k + 1 < candidates.Count && keep[k + 1]
                && candidates[k + 1].Heading.Level > candidates[k].Heading.Level;
            keep[k] = hasBody || opensDeeper;
        }

        return [.. candidates.Where((_, k) => keep[k])];
    }

    private static int CountLetters(ReadOnlySpan<char> span, int stopAt)
    {
        var count = 0;
        foreach (var ch in span)
        {
            if (char.IsLetter(ch) && ++count >= stopAt)
            {
                break;
            }
        }

        return count;
    }

    private readonly record struct Candidate(int Line, HeadingMatch Heading);
}
