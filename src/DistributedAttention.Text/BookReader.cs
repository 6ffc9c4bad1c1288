namespace DistributedAttention.Text;

/// <summary>Reads a book file end to end: decode, drop boilerplate, tokenise, find sections.</summary>
public static class BookReader
{
    /// <summary>Reads the book at <paramref name="path"/>.</summary>
    /// <param name="path">A text file.</param>
    /// <param name="options">Options; <c>null</c> for the defaults.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="BookFormatException">The file is empty, binary, has no text, or is invalid in a forced encoding.</exception>
    public static Book Read(string path, BookReadOptions? options = null)
    {
        options ??= BookReadOptions.Default;
        DecodedText decoded = BookDecoder.DecodeFile(path, options.Decoding);
        return FromDecoded(decoded, path, options);
    }

    /// <summary>Builds a book from text already decoded (line endings must be <c>\n</c>).</summary>
    /// <param name="decoded">The decoded file.</param>
    /// <param name="sourceName">The name used in error messages.</param>
    /// <param name="options">Options; <c>null</c> for the defaults.</param>
    /// <exception cref="BookFormatException">There is no text once boilerplate is left out.</exception>
    public static Book FromDecoded(DecodedText decoded, string sourceName, BookReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(decoded);
        ArgumentNullException.ThrowIfNull(sourceName);
        options ??= BookReadOptions.Default;

        ContentRange content = options.StripGutenbergBoilerplate
            ? GutenbergBoilerplate.FindContent(decoded.Text)
            : new ContentRange(0, decoded.Text.Length, false, false);
        var text = content.Length == decoded.Text.Length ? decoded.Text : decoded.Text.Substring(content.Start, content.Length);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new BookFormatException(sourceName, $"'{sourceName}' contains no text.");
        }

        BookTokenizer tokenizer = options.Tokenizer ?? BookTokenizer.Gpt2;
        TokenizedText tokens = tokenizer.Encode(text);
        IReadOnlyList<Section> sections = Section.WithTokenRanges(new ChapterDetector(options.Chapters).Detect(text), tokens);
        return new Book(sourceName, decoded.Report, content, text, tokens, sections, tokenizer);
    }
}
