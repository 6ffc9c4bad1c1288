namespace DistributedAttention.Text;

/// <summary>
/// A book ready for a model: its text, the encoding it was read with, its tokens with char
/// offsets, and its sections with token ranges.
/// </summary>
public sealed class Book
{
    /// <summary>Assembles a book; <see cref="BookReader"/> is the usual way to get one.</summary>
    /// <param name="sourceName">The file path or other name of the input.</param>
    /// <param name="decoding">Which encoding was used and why.</param>
    /// <param name="content">Where <paramref name="text"/> lies in the decoded file.</param>
    /// <param name="text">The book's text, <c>\n</c> line endings, boilerplate left out.</param>
    /// <param name="tokens">The encoding of <paramref name="text"/>.</param>
    /// <param name="sections">Sections of <paramref name="text"/> with token ranges.</param>
    /// <param name="tokenizer">The tokenizer that produced <paramref name="tokens"/>.</param>
    public Book(
        string sourceName,
        DecodingReport decoding,
        ContentRange content,
        string text,
        TokenizedText tokens,
        IReadOnlyList<Section> sections,
        BookTokenizer tokenizer)
    {
        SourceName = sourceName;
        Decoding = decoding;
        Content = content;
        Text = text;
        Tokens = tokens;
        Sections = sections;
        Tokenizer = tokenizer;
    }

    /// <summary>The file path or other name of the input.</summary>
    public string SourceName { get; }

    /// <summary>Which encoding was used and whether it was a fallback.</summary>
    public DecodingReport Decoding { get; }

    /// <summary>Where <see cref="Text"/> lies in the decoded file.</summary>
    public ContentRange Content { get; }

    /// <summary>The book's text: <c>\n</c> line endings, Project Gutenberg boilerplate left out.</summary>
    public string Text { get; }

    /// <summary>Token ids and char offsets of <see cref="Text"/>.</summary>
    public TokenizedText Tokens { get; }

    /// <summary>Token ids.</summary>
    public int[] TokenIds => Tokens.Ids;

    /// <summary>Start char in <see cref="Text"/> of each token.</summary>
    public int[] TokenOffsets => Tokens.Offsets;

    /// <summary>Number of tokens.</summary>
    public int TokenCount => Tokens.Count;

    /// <summary>Ordered, contiguous sections covering <see cref="Text"/> and all tokens, with token ranges set.</summary>
    public IReadOnlyList<Section> Sections { get; }

    /// <summary>The tokenizer, for its vocabulary size and for decoding.</summary>
    public BookTokenizer Tokenizer { get; }

    /// <summary>Vocabulary size of <see cref="Tokenizer"/>.</summary>
    public int VocabSize => Tokenizer.VocabSize;
}
