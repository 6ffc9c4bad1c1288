namespace DistributedAttention.Text;

/// <summary>One line of a text: chars <c>[Start, End)</c>, without its <c>\n</c>.</summary>
internal readonly record struct TextLine(int Start, int End)
{
    public static List<TextLine> Split(string text)
    {
        var lines = new List<TextLine>(text.Length / 60 + 1);
        var start = 0;
        while (start <= text.Length)
        {
            var newline = text.IndexOf('\n', start);
            var end = newline < 0 ? text.Length : newline;
            lines.Add(new TextLine(start, end));
            if (newline < 0)
            {
                break;
            }

            start = newline + 1;
        }

        return lines;
    }

    public ReadOnlySpan<char> Trimmed(string text) => text.AsSpan(Start, End - Start).Trim();

    public bool IsBlank(string text) => text.AsSpan(Start, End - Start).IsWhiteSpace();
}
