namespace DistributedAttention.Text;

/// <summary>Options of <see cref="BookReader"/>.</summary>
public sealed record BookReadOptions
{
    /// <summary>The defaults.</summary>
    public static BookReadOptions Default { get; } = new();

    /// <summary>How the file is decoded (forced encoding, NFC).</summary>
    public DecodeOptions Decoding { get; init; } = DecodeOptions.Default;

    /// <summary>Leave out the Project Gutenberg header and licence when the markers are present.</summary>
    public bool StripGutenbergBoilerplate { get; init; } = true;

    /// <summary>How headings are found.</summary>
    public ChapterDetectorOptions Chapters { get; init; } = ChapterDetectorOptions.Default;

    /// <summary>The tokenizer; <c>null</c> for <see cref="BookTokenizer.Gpt2"/>.</summary>
    public BookTokenizer? Tokenizer { get; init; }
}
