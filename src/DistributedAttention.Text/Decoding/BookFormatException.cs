namespace DistributedAttention.Text;

/// <summary>A book file that cannot be read as text: empty, binary, or invalid in the encoding it was forced to.</summary>
public sealed class BookFormatException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="sourceName">The file path or other name of the input.</param>
    /// <param name="message">What is wrong, naming the input.</param>
    /// <param name="byteOffset">Offset of the offending byte, where there is one.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public BookFormatException(string sourceName, string message, long? byteOffset = null, Exception? innerException = null)
        : base(message, innerException)
    {
        SourceName = sourceName;
        ByteOffset = byteOffset;
    }

    /// <summary>The file path or other name of the input.</summary>
    public string SourceName { get; }

    /// <summary>Offset of the offending byte, where there is one.</summary>
    public long? ByteOffset { get; }
}
