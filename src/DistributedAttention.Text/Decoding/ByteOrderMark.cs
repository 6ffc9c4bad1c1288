using System.Text;

namespace DistributedAttention.Text;

/// <summary>Byte order mark detection.</summary>
internal static class ByteOrderMark
{
    /// <summary>Finds a UTF-8, UTF-16 or UTF-32 byte order mark at the start of <paramref name="bytes"/>.</summary>
    public static bool TryDetect(ReadOnlySpan<byte> bytes, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Encoding? encoding, out int length)
    {
        // UTF-32 LE first: its mark starts with the UTF-16 LE mark.
        (encoding, length) = bytes switch
        {
            [0xFF, 0xFE, 0x00, 0x00, ..] => (new UTF32Encoding(bigEndian: false, byteOrderMark: true), 4),
            [0x00, 0x00, 0xFE, 0xFF, ..] => (new UTF32Encoding(bigEndian: true, byteOrderMark: true), 4),
            [0xEF, 0xBB, 0xBF, ..] => (new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), 3),
            [0xFF, 0xFE, ..] => (new UnicodeEncoding(bigEndian: false, byteOrderMark: true), 2),
            [0xFE, 0xFF, ..] => (new UnicodeEncoding(bigEndian: true, byteOrderMark: true), 2),
            _ => ((Encoding?)null, 0),
        };
        return encoding is not null;
    }

    /// <summary>UTF-16 and UTF-32 text is full of NUL bytes, so the binary check does not apply.</summary>
    public static bool IsWide(Encoding encoding) => encoding.CodePage is 1200 or 1201 or 12000 or 12001;
}
