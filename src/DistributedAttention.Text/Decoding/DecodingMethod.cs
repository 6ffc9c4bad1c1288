namespace DistributedAttention.Text;

/// <summary>How <see cref="BookDecoder"/> chose the encoding of a file.</summary>
public enum DecodingMethod
{
    /// <summary>A byte order mark (UTF-8, UTF-16 or UTF-32) named the encoding.</summary>
    ByteOrderMark,

    /// <summary>The bytes were valid UTF-8.</summary>
    Utf8,

    /// <summary>The bytes were not valid UTF-8 and were read as Windows-1252 instead.</summary>
    Fallback,

    /// <summary>The caller named the encoding.</summary>
    Forced,
}
