using System.Text;

namespace DistributedAttention.Text.Tests;

public sealed class BookReaderTests : IDisposable
{
    private const string Paragraph =
        "She was the youngest of the two daughters of a most affectionate, indulgent father; and had, in\n"
        + "consequence of her sister's marriage, been mistress of his house from a very early period.\n\n";

    private readonly string _folder = Directory.CreateTempSubdirectory("book-reader-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ReadsAGutenbergFileEndToEnd()
    {
        string text = "The Project Gutenberg eBook of Emma\r\n\r\n*** START OF THE PROJECT GUTENBERG EBOOK EMMA ***\r\n\r\n"
            + "EMMA\r\n\r\nCHAPTER I\r\n\r\n\u201C" + Paragraph.Replace("\n", "\r\n", StringComparison.Ordinal)
            + "CHAPTER II\r\n\r\n" + Paragraph.Replace("\n", "\r\n", StringComparison.Ordinal)
            + "*** END OF THE PROJECT GUTENBERG EBOOK EMMA ***\r\n\r\nSection 1. General Terms of Use\r\n";
        string path = Write("emma.txt", BookDecoder.ResolveEncoding("windows-1252").GetBytes(text));

        Book book = BookReader.Read(path);

        Assert.True(book.Decoding.UsedFallback);
        Assert.True(book.Content.HasStartMarker && book.Content.HasEndMarker);
        Assert.StartsWith("EMMA\n\nCHAPTER I\n\n\u201CShe was", book.Text, StringComparison.Ordinal);
        Assert.EndsWith("early period.", book.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Gutenberg", book.Text, StringComparison.Ordinal);
        Assert.Equal(["Front matter", "CHAPTER I", "CHAPTER II"], book.Sections.Select(s => s.Title));
        Assert.Equal(book.Text, book.Tokenizer.Decode(book.TokenIds));
        Assert.Equal(50257, book.VocabSize);
        Assert.Equal(book.TokenIds.Length, book.TokenOffsets.Length);
        SectionInvariants.AssertCoversTokens(book.Sections, book.Tokens);
    }

    [Fact]
    public void BoilerplateCanBeKept()
    {
        string text = "Header\n\n*** START OF THE PROJECT GUTENBERG EBOOK X ***\n\n" + Paragraph;
        string path = Write("keep.txt", Encoding.UTF8.GetBytes(text));

        Book book = BookReader.Read(path, new BookReadOptions { StripGutenbergBoilerplate = false });

        Assert.Equal(text, book.Text);
        Assert.False(book.Content.HasStartMarker);
    }

    [Fact]
    public void ForcedEncodingIsPassedThrough()
    {
        string path = Write("forced.txt", [0x93, .. "Hi"u8, 0x94]);

        var ex = Assert.Throws<BookFormatException>(
            () => BookReader.Read(path, new BookReadOptions { Decoding = new DecodeOptions { Encoding = "utf-8" } }));

        Assert.Equal(0, ex.ByteOffset);
        Assert.Equal("\u201CHi\u201D", BookReader.Read(path).Text);
    }

    [Fact]
    public void MissingFileNamesThePath()
    {
        string path = Path.Combine(_folder, "missing.txt");

        var ex = Assert.Throws<FileNotFoundException>(() => BookReader.Read(path));

        Assert.Equal(path, ex.FileName);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyFileIsAClearError()
    {
        string path = Write("empty.txt", []);

        var ex = Assert.Throws<BookFormatException>(() => BookReader.Read(path));

        Assert.Contains("is empty", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\r\n  \n\t")]
    [InlineData("*** START OF THE PROJECT GUTENBERG EBOOK X ***\n\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\n")]
    public void FileWithoutTextIsAClearError(string content)
    {
        string path = Write("blank.txt", Encoding.UTF8.GetBytes(content));

        var ex = Assert.Throws<BookFormatException>(() => BookReader.Read(path));

        Assert.Contains("contains no text", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BinaryFileIsAClearError()
    {
        string path = Write("image.bin", [0x89, .. "PNG"u8, .. new byte[64], 0x01, 0x02]);

        var ex = Assert.Throws<BookFormatException>(() => BookReader.Read(path));

        Assert.Contains("binary", ex.Message, StringComparison.Ordinal);
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
