using System.Text.RegularExpressions;

namespace DistributedAttention.Text;

/// <summary>A heading recognised on one line.</summary>
internal readonly record struct HeadingMatch(SectionKind Kind, int Level, string Title);

/// <summary>
/// Heading lines such as <c>CHAPTER I</c>, <c>Chapter 12. The Ball</c>, <c>BOOK TWO: 1805</c>,
/// <c>PART III</c>, <c>FIRST EPILOGUE: 1813 - 20</c> or <c>PREFACE.</c>. Keywords must be upper
/// or title case. Whatever follows the number is either nothing, a separator (<c>. : - —</c>)
/// and a capitalised title or a number, or words without lower-case letters; so prose lines
/// like "Book 3 of the series" or "Part one, of course, was easy." are not headings.
/// </summary>
internal static partial class HeadingPatterns
{
    public const int DivisionLevel = 1;
    public const int ChapterLevel = 2;

    private const string NumberWords =
        "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
        + "seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety";

    private const string Ordinals =
        "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|last|final";

    // Well-formed, non-empty Roman numerals only, so words such as "mild" or "club" are not numbers.
    private const string Roman =
        "M{0,4}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})(?<=[MDCLXVI])"
        + "|m{0,4}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})(?<=[mdclxvi])";

    private const string Number =
        @"(?:\d{1,4}|" + Roman + "|(?i:(?:" + NumberWords + ")(?:-(?:" + NumberWords + "))?)|(?i:" + Ordinals + "))";

    [GeneratedRegex(@"^(?<kw>CHAPTER|Chapter|BOOK|Book|PART|Part|VOLUME|Volume)\s+(?:(?i:the)\s+)?" + Number + @"\b(?<rest>.*)$")]
    private static partial Regex Numbered();

    [GeneratedRegex(@"^(?:(?i:" + Ordinals + @")\s+)?(?<kw>EPILOGUE|Epilogue|PROLOGUE|Prologue|PREFACE|Preface|INTRODUCTION|Introduction|CONCLUSION|Conclusion|AFTERWORD|Afterword)\b(?<rest>.*)$")]
    private static partial Regex Standalone();

    /// <summary>Recognises <paramref name="line"/> (already trimmed) as a heading.</summary>
    public static HeadingMatch? Match(string line)
    {
        // Illustrated editions put headings inside "[Illustration: ... Chapter I.]".
        var bare = line.Trim('[', ']', ' ', '\t');
        Match m = Numbered().Match(bare);
        if (!m.Success)
        {
            m = Standalone().Match(bare);
        }

        if (!m.Success || !IsHeadingTail(m.Groups["rest"].Value))
        {
            return null;
        }

        SectionKind kind = m.Groups["kw"].Value.ToUpperInvariant() switch
        {
            "CHAPTER" => SectionKind.Chapter,
            "BOOK" => SectionKind.Book,
            "PART" => SectionKind.Part,
            "VOLUME" => SectionKind.Volume,
            "EPILOGUE" or "CONCLUSION" or "AFTERWORD" => SectionKind.Epilogue,
            _ => SectionKind.Prologue,
        };
        var level = kind == SectionKind.Chapter ? ChapterLevel : DivisionLevel;
        return new HeadingMatch(kind, level, bare);
    }

    private static bool IsHeadingTail(string rest)
    {
        var tail = rest.Trim();
        if (tail.Length == 0 || !tail.Any(char.IsLower))
        {
            return true;
        }

        if (tail[0] is not ('.' or ':' or '-' or '—' or '–'))
        {
            return false;
        }

        var title = tail.TrimStart('.', ':', '-', '—', '–', ' ', '\t');
        return title.Length == 0 || char.IsUpper(title[0]) || char.IsDigit(title[0]) || title[0] is '"' or '“' or '‘' or '\'' or '(';
    }
}
