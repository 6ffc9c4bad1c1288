namespace DistributedAttention.Text;

/// <summary>
/// The fallback for a text without headings: pieces of about a target size, each cut at the
/// next paragraph break (blank line) after the target, else at the next line break, so that
/// downstream pooling always has sections.
/// </summary>
internal static class FixedSizeSections
{
    public static List<Section> Split(string text, int targetChars)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(targetChars, 1);
        var sections = new List<Section>();
        var start = 0;
        while (start < text.Length)
        {
            var end = CutAfter(text, start + targetChars, Math.Max(1, targetChars / 2));
            // A short tail joins the previous piece rather than standing alone.
            if (text.Length - end < targetChars / 4)
            {
                end = text.Length;
            }

            sections.Add(new Section($"Section {sections.Count + 1}", HeadingPatterns.DivisionLevel, SectionKind.FixedSize, start, end));
            start = end;
        }

        return sections;
    }

    private static int CutAfter(string text, int target, int searchChars)
    {
        if (target >= text.Length)
        {
            return text.Length;
        }

        // Look for a paragraph break within half a piece, then for any line break.
        var window = Math.Min(text.Length - target, searchChars);
        var paragraph = text.IndexOf("\n\n", target, window, StringComparison.Ordinal);
        if (paragraph >= 0)
        {
            return paragraph + 2;
        }

        var line = text.IndexOf('\n', target);
        return line >= 0 ? line + 1 : text.Length;
    }
}
