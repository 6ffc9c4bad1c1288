namespace DistributedAttention.Text;

/// <summary>Line ending normalisation; only CR and CRLF change, so form feeds and U+2028 survive.</summary>
internal static class LineEndings
{
    /// <summary>Turns CRLF and lone CR into LF.</summary>
    public static string ToLf(string text) =>
        text.Contains('\r', StringComparison.Ordinal)
            ? text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n')
            : text;
}
