using System.Text;

namespace DistributedAttention.Text;

/// <summary>
/// Turns a book file's bytes into text. A byte order mark (UTF-8, UTF-16 or UTF-32) is
/// honoured; otherwise strict UTF-8 is tried and, if the bytes are not valid UTF-8, they are
/// read as Windows-1252, where the five undefined bytes keep their value as C1 control chars.
/// That fallback never fails and never drops a byte. Line endings become <c>\n</c>.
/// </summary>
public static class BookDecoder
{
    private const int Utf8CodePage = 65001;
    private const int Windows1252CodePage = 1252;

    private static readonly Encoding Windows1252;

    static BookDecoder()
    {
        // The code-page encodings ship with .NET but are only reachable once registered.
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        Windows1252 = Encoding.GetEncoding(Windows1252CodePage, EncoderFallback.ReplacementFallback, ByteValueDecoderFallback.Instance);
    }

    /// <summary>Reads and decodes a file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Decoding options; <c>null</c> for the defaults.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="BookFormatException">The file is empty, binary, or invalid in a forced encoding.</exception>
    public static DecodedText DecodeFile(string path, DecodeOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Book file '{path}' was not found.", path);
        }

        return Decode(File.ReadAllBytes(path), path, options);
    }

    /// <summary>Decodes bytes already in memory.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="sourceName">The name used in error messages, usually the path.</param>
    /// <param name="options">Decoding options; <c>null</c> for the defaults.</param>
    /// <exception cref="BookFormatException">The input is empty, binary, or invalid in a forced encoding.</exception>
    /// <exception cref="ArgumentException">The forced encoding name is unknown.</exception>
    public static DecodedText Decode(ReadOnlySpan<byte> bytes, string sourceName, DecodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        options ??= DecodeOptions.Default;
        if (bytes.IsEmpty)
        {
            throw new BookFormatException(sourceName, $"'{sourceName}' is empty.");
        }

        (var text, DecodingReport report) = options.Encoding is { } name
            ? DecodeForced(bytes, sourceName, ResolveEncoding(name))
            : DecodeDetected(bytes, sourceName);

        text = LineEndings.ToLf(text);
        if (options.NormalizeToNfc)
        {
            text = text.Normalize(NormalizationForm.FormC);
        }

        return new DecodedText(text, report);
    }

    /// <summary>Finds an encoding by name (e.g. <c>utf-8</c>, <c>windows-1252</c>, <c>latin1</c>).</summary>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static Encoding ResolveEncoding(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        try
        {
            return Encoding.GetEncoding(name.Trim());
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException(
                $"Unknown encoding '{name}'. Use a name such as utf-8, windows-1252, latin1 or utf-16.", nameof(name), ex);
        }
    }

    private static (string, DecodingReport) DecodeDetected(ReadOnlySpan<byte> bytes, string sourceName)
    {
        if (ByteOrderMark.TryDetect(bytes, out Encoding? bomEncoding, out var bomLength))
        {
            var fromBom = DecodeExact(bytes[bomLength..], bomLength, sourceName, bomEncoding);
            return (fromBom, new DecodingReport(bomEncoding.WebName, DecodingMethod.ByteOrderMark, "byte order mark"));
        }

        ThrowIfBinary(bytes, sourceName);
        if (Utf8Strict.TryDecode(bytes, out var text, out var invalidOffset))
        {
            return (text, new DecodingReport("utf-8", DecodingMethod.Utf8, null));
        }

        var why = "not valid UTF-8: " + Utf8Strict.Describe(bytes, invalidOffset);
        return (Windows1252.GetString(bytes), new DecodingReport(Windows1252.WebName, DecodingMethod.Fallback, why));
    }

    private static (string, DecodingReport) DecodeForced(ReadOnlySpan<byte> bytes, string sourceName, Encoding encoding)
    {
        var skip = bytes.StartsWith(encoding.Preamble) ? encoding.Preamble.Length : 0;
        var text = DecodeExact(bytes[skip..], skip, sourceName, encoding);
        return (text, new DecodingReport(encoding.WebName, DecodingMethod.Forced, "named by the caller"));
    }

    /// <summary>Decodes with <paramref name="encoding"/>, rejecting invalid input (Windows-1252 has none).</summary>
    private static string DecodeExact(ReadOnlySpan<byte> bytes, int baseOffset, string sourceName, Encoding encoding)
    {
        if (!ByteOrderMark.IsWide(encoding))
        {
            ThrowIfBinary(bytes, sourceName);
        }

        switch (encoding.CodePage)
        {
            case Utf8CodePage:
                if (Utf8Strict.TryDecode(bytes, out var text, out var invalidOffset))
                {
                    return text;
                }

                long offset = baseOffset + invalidOffset;
                throw new BookFormatException(
                    sourceName,
                    $"'{sourceName}' is not valid UTF-8: {Utf8Strict.Describe(bytes, invalidOffset, baseOffset)}.",
                    offset);
            case Windows1252CodePage:
                return Windows1252.GetString(bytes);
        }

        Encoding strict = Encoding.GetEncoding(encoding.CodePage, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
        try
        {
            return strict.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            long? offset = ex.Index >= 0 ? baseOffset + ex.Index : null;
            var where = offset is { } o ? $" at byte offset {o}" : string.Empty;
            throw new BookFormatException(sourceName, $"'{sourceName}' is not valid {encoding.WebName}{where}.", offset, ex);
        }
    }

    private static void ThrowIfBinary(ReadOnlySpan<byte> bytes, string sourceName)
    {
        if (BinarySniffer.Check(bytes, sourceName, out var firstOffset) is { } message)
        {
            throw new BookFormatException(sourceName, message, firstOffset);
        }
    }
}
