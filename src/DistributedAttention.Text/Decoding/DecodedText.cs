namespace DistributedAttention.Text;

/// <summary>A file's text after decoding, with line endings normalised to <c>\n</c>.</summary>
/// <param name="Text">The text, without a byte order mark.</param>
/// <param name="Report">Which encoding was used and why.</param>
public sealed record DecodedText(string Text, DecodingReport Report);
