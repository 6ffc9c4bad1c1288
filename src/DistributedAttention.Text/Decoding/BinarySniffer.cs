namespace DistributedAttention.Text;

/// <summary>
/// Tells binary data from text in UTF-8 or a single-byte code page: such text has no NUL and
/// almost no C0 control bytes besides tab, line feed, vertical tab, form feed, carriage return
/// and escape.
/// </summary>
internal static class BinarySniffer
{
    /// <summary>More than this share of control bytes is taken as binary.</summary>
    public const double MaxControlShare = 0.01;

    /// <summary>Counts suspicious bytes; returns an error message when there are too many, else <c>null</c>.</summary>
    public static string? Check(ReadOnlySpan<byte> bytes, string sourceName, out long firstOffset)
    {
        long count = 0;
        firstOffset = -1;
        for (var i = 0; i < bytes.Length; i++)
        {
            if (IsSuspicious(bytes[i]))
            {
                count++;
                if (firstOffset < 0)
                {
                    firstOffset = i;
                }
            }
        }

        if (count == 0 || count <= bytes.Length * MaxControlShare)
        {
            return null;
        }

        return $"'{sourceName}' looks like binary data, not text: {count} of its {bytes.Length} bytes are NUL "
            + $"or control bytes (the first at offset {firstOffset}). If it is UTF-16 or UTF-32 without a "
            + "byte order mark, name the encoding explicitly (e.g. \"utf-16\").";
    }

    private static bool IsSuspicious(byte b) => b < 0x20 && b is not ((byte)'\t' or (byte)'\n' or 0x0B or 0x0C or (byte)'\r' or 0x1B);
}
