namespace DistributedAttention.Text;

/// <summary>Options of <see cref="BookDecoder"/>.</summary>
public sealed record DecodeOptions
{
    /// <summary>The defaults: detect the encoding, no Unicode normalisation.</summary>
    public static DecodeOptions Default { get; } = new();

    /// <summary>
    /// An encoding name to use instead of detection (e.g. <c>utf-8</c>, <c>windows-1252</c>,
    /// <c>latin1</c>, <c>utf-16</c>); <c>null</c> detects. A forced <c>utf-8</c> rejects invalid
    /// bytes instead of falling back.
    /// </summary>
    public string? Encoding { get; init; }

    /// <summary>Normalise the text to Unicode form C, so that e.g. "e" + combining acute equals "é".</summary>
    public bool NormalizeToNfc { get; init; }
}
