namespace DistributedAttention.Text;

/// <summary>
/// Finds places where a text can be cut so that encoding the pieces one by one gives exactly
/// the tokens of encoding it whole.
/// </summary>
/// <remarks>
/// GPT-2 pre-tokenises with <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>
/// and BPE never merges across pre-tokens, so a cut is exact where every pre-token ends on
/// the left and starts on the right, with no look-ahead across it. Two kinds of cut qualify:
/// after a lone <c>\n</c> between non-space chars (<c>x\n|Y</c>: the <c>\n</c> is its own
/// pre-token both ways), and before a space that starts a word (<c>x| Word</c>). A cut after
/// a run of blank lines would not be exact: at the end of a piece <c>\s+(?!\S)</c> takes the
/// whole run, in the whole text all but its last char.
/// </remarks>
internal static class ChunkSplitter
{
    /// <summary>
    /// Ends of successive pieces of about <paramref name="targetChars"/> chars, each at an exact
    /// cut; the last is <c>text.Length</c>. A piece grows past the target only when no cut exists.
    /// </summary>
    public static List<int> PieceEnds(string text, int targetChars)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(targetChars, 1);
        var ends = new List<int>(text.Length / targetChars + 1);
        var start = 0;
        while (start < text.Length)
        {
            var end = FindCut(text, start, targetChars);
            ends.Add(end);
            start = end;
        }

        return ends;
    }

    private static int FindCut(string text, int start, int targetChars)
    {
        var target = start + targetChars;
        if (target >= text.Length)
        {
            return text.Length;
        }

        for (var p = target; p > start; p--)
        {
            if (IsExactCut(text, p))
            {
                return p;
            }
        }

        for (var p = target + 1; p < text.Length; p++)
        {
            if (IsExactCut(text, p))
            {
                return p;
            }
        }

        return text.Length;
    }

    /// <summary>Whether cutting before <c>text[p]</c> leaves the pre-tokens unchanged.</summary>
    internal static bool IsExactCut(string text, int p)
    {
        if (p <= 1 || p >= text.Length - 1 || char.IsWhiteSpace(text[p - 1]) && text[p - 1] != '\n')
        {
            return false;
        }

        if (text[p - 1] == '\n')
        {
            return !char.IsWhiteSpace(text[p - 2]) && !char.IsWhiteSpace(text[p]);
        }

        return text[p] == ' ' && char.IsAsciiLetter(text[p + 1]);
    }
}
