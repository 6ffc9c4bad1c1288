namespace DistributedAttention.Text;

/// <summary>Which encoding a text was decoded with, and why; meant to be shown to a user.</summary>
/// <param name="EncodingName">The web name of the encoding used, e.g. <c>utf-8</c> or <c>windows-1252</c>.</param>
/// <param name="Method">How the encoding was chosen.</param>
/// <param name="Detail">Why, in words: for a fallback, the first invalid UTF-8 byte and its offset.</param>
public sealed record DecodingReport(string EncodingName, DecodingMethod Method, string? Detail)
{
    /// <summary>True when the file was not valid UTF-8 and was read as Windows-1252.</summary>
    public bool UsedFallback => Method == DecodingMethod.Fallback;

    /// <summary>One line for a user, e.g. <c>windows-1252 (fallback: not valid UTF-8: byte 0x93 at offset 0)</c>.</summary>
    public override string ToString() => Method switch
    {
        DecodingMethod.Fallback => $"{EncodingName} (fallback: {Detail})",
        DecodingMethod.ByteOrderMark => $"{EncodingName} (byte order mark)",
        DecodingMethod.Forced => $"{EncodingName} (forced)",
        _ => EncodingName,
    };
}
