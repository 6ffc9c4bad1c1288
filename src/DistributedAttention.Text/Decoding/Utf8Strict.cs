using System.Buffers;
using System.Text.Unicode;

namespace DistributedAttention.Text;

/// <summary>Strict UTF-8 decoding that reports where the first invalid sequence starts.</summary>
internal static class Utf8Strict
{
    /// <summary>Decodes <paramref name="bytes"/>; on failure gives the offset of the first invalid byte.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out string text, out int invalidOffset)
    {
        // UTF-16 never needs more chars than UTF-8 has bytes.
        var buffer = ArrayPool<char>.Shared.Rent(Math.Max(1, bytes.Length));
        try
        {
            OperationStatus status = Utf8.ToUtf16(
                bytes, buffer, out var read, out var written, replaceInvalidSequences: false, isFinalBlock: true);
            if (status == OperationStatus.Done)
            {
                text = new string(buffer, 0, written);
                invalidOffset = -1;
                return true;
            }

            text = string.Empty;
            invalidOffset = read;
            return false;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Words for the invalid byte at <paramref name="index"/>, e.g. <c>byte 0x93 at offset 0</c>;
    /// <paramref name="baseOffset"/> is where <paramref name="bytes"/> starts in the file.
    /// </summary>
    public static string Describe(ReadOnlySpan<byte> bytes, int index, long baseOffset = 0) =>
        index < bytes.Length
            ? $"byte 0x{bytes[index]:X2} at offset {baseOffset + index}"
            : $"truncated sequence at offset {baseOffset + index}";
}
