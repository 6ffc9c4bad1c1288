using System.Text;

namespace DistributedAttention.Text.Tests;

public sealed class BookDecoderTests
{
    private const string Sample = "Héllo “world” — naïve 日本 😀\nsecond line\n";

    [Fact]
    public void Utf8WithoutBomIsDetected()
    {
        DecodedText decoded = BookDecoder.Decode(Encoding.UTF8.GetBytes(Sample), "sample");

        Assert.Equal(Sample, decoded.Text);
        Assert.Equal("utf-8", decoded.Report.EncodingName);
        Assert.Equal(DecodingMethod.Utf8, decoded.Report.Method);
        Assert.False(decoded.Report.UsedFallback);
    }

    [Fact]
    public void Utf8BomIsHonouredAndStripped()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Sample)];

        DecodedText decoded = BookDecoder.Decode(bytes, "sample");

        Assert.Equal(Sample, decoded.Text);
        Assert.Equal(DecodingMethod.ByteOrderMark, decoded.Report.Method);
        Assert.Equal("utf-8", decoded.Report.EncodingName);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Utf16WithBomIsHonoured(bool bigEndian)
    {
        var utf16 = new UnicodeEncoding(bigEndian, byteOrderMark: true);
        byte[] bytes = [.. utf16.GetPreamble(), .. utf16.GetBytes(Sample)];

        DecodedText decoded = BookDecoder.Decode(bytes, "sample");

        Assert.Equal(Sample, decoded.Text);
        Assert.Equal(DecodingMethod.ByteOrderMark, decoded.Report.Method);
        Assert.Equal(bigEndian ? "utf-16BE" : "utf-16", decoded.Report.EncodingName);
    }

    [Fact]
    public void Utf32LittleEndianBomIsNotMistakenForUtf16()
    {
        var utf32 = new UTF32Encoding(bigEndian: false, byteOrderMark: true);
        byte[] bytes = [.. utf32.GetPreamble(), .. utf32.GetBytes(Sample)];

        Assert.Equal(Sample, BookDecoder.Decode(bytes, "sample").Text);
    }

    [Fact]
    public void InvalidUtf8FallsBackToWindows1252()
    {
        // “Hi” it’s — €5
        byte[] bytes = [0x93, (byte)'H', (byte)'i', 0x94, (byte)' ', (byte)'i', (byte)'t', 0x92, (byte)'s', (byte)' ', 0x97, (byte)' ', 0x80, (byte)'5'];

        DecodedText decoded = BookDecoder.Decode(bytes, "sample");

        Assert.Equal("\u201CHi\u201D it\u2019s \u2014 \u20AC5", decoded.Text);
        Assert.True(decoded.Report.UsedFallback);
        Assert.Equal("windows-1252", decoded.Report.EncodingName);
        Assert.Contains("byte 0x93 at offset 0", decoded.Report.Detail, StringComparison.Ordinal);
        Assert.Contains("fallback", decoded.Report.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void FallbackKeepsEveryByteAndUndefinedBytesKeepTheirValue()
    {
        byte[] bytes = [.. Enumerable.Range(0x20, 0x100 - 0x20).Select(b => (byte)b)];

        DecodedText decoded = BookDecoder.Decode(bytes, "sample");

        Assert.True(decoded.Report.UsedFallback);
        Assert.Equal(bytes.Length, decoded.Text.Length);
        Assert.DoesNotContain('\uFFFD', decoded.Text);
        foreach (byte undefined in new byte[] { 0x81, 0x8D, 0x8F, 0x90, 0x9D })
        {
            Assert.Equal((char)undefined, decoded.Text[undefined - 0x20]);
        }

        Assert.Equal('\u201C', decoded.Text[0x93 - 0x20]);
        Assert.Equal('é', decoded.Text[0xE9 - 0x20]);
    }

    [Fact]
    public void ByteValueFallbackKeepsUndefinedBytes()
    {
        // .NET's own Windows-1252 table already maps the undefined bytes to C1 chars; the
        // fallback guarantees it, shown here on ASCII, where every byte above 0x7F is undefined.
        var ascii = Encoding.GetEncoding("us-ascii", EncoderFallback.ReplacementFallback, ByteValueDecoderFallback.Instance);

        Assert.Equal("A\u0093\u00FFB", ascii.GetString([0x41, 0x93, 0xFF, 0x42]));
    }

    [Fact]
    public void ForcedUtf8OnInvalidInputNamesFileOffsetAndByte()
    {
        byte[] bytes = [.. "Hello"u8, 0x93, (byte)'x'];

        var ex = Assert.Throws<BookFormatException>(
            () => BookDecoder.Decode(bytes, "books/odd.txt", new DecodeOptions { Encoding = "utf-8" }));

        Assert.Equal(5, ex.ByteOffset);
        Assert.Equal("books/odd.txt", ex.SourceName);
        Assert.Contains("books/odd.txt", ex.Message, StringComparison.Ordinal);
        Assert.Contains("0x93", ex.Message, StringComparison.Ordinal);
        Assert.Contains("offset 5", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForcedUtf8ReportsATruncatedSequenceAtTheEnd()
    {
        byte[] bytes = [(byte)'a', (byte)'b', 0xE2, 0x80];

        var ex = Assert.Throws<BookFormatException>(
            () => BookDecoder.Decode(bytes, "t.txt", new DecodeOptions { Encoding = "UTF-8" }));

        Assert.Equal(2, ex.ByteOffset);
    }

    [Fact]
    public void Utf8BomWithInvalidContentIsRejectedWithFileOffset()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, (byte)'a', 0xFF];

        var ex = Assert.Throws<BookFormatException>(() => BookDecoder.Decode(bytes, "bom.txt"));

        Assert.Equal(4, ex.ByteOffset);
    }

    [Theory]
    [InlineData("windows-1252", "Ã©")]
    [InlineData("cp1252", "Ã©")]
    [InlineData("latin1", "Ã©")]
    [InlineData("utf-8", "é")]
    public void ForcedEncodingIsUsed(string name, string expected)
    {
        DecodedText decoded = BookDecoder.Decode("é"u8, "e.txt", new DecodeOptions { Encoding = name });

        Assert.Equal(expected, decoded.Text);
        Assert.Equal(DecodingMethod.Forced, decoded.Report.Method);
    }

    [Fact]
    public void ForcedLatin1KeepsC1Bytes()
    {
        DecodedText decoded = BookDecoder.Decode([0x93, 0x41], "l.txt", new DecodeOptions { Encoding = "latin1" });

        Assert.Equal("\u0093A", decoded.Text);
        Assert.Equal("iso-8859-1", decoded.Report.EncodingName);
    }

    [Fact]
    public void UnknownEncodingNameIsAnArgumentError()
    {
        var ex = Assert.Throws<ArgumentException>(
            () => BookDecoder.Decode("x"u8, "x.txt", new DecodeOptions { Encoding = "no-such-encoding" }));

        Assert.Contains("no-such-encoding", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LineEndingsBecomeLineFeeds()
    {
        DecodedText utf8 = BookDecoder.Decode("a\r\nb\rc\nd\r\n\r\n"u8, "crlf.txt");
        DecodedText utf16 = BookDecoder.Decode([.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("x\r\ny")], "crlf16.txt");

        Assert.Equal("a\nb\nc\nd\n\n", utf8.Text);
        Assert.Equal("x\ny", utf16.Text);
    }

    [Fact]
    public void NfcNormalisationIsOptional()
    {
        byte[] decomposed = Encoding.UTF8.GetBytes("e\u0301");

        Assert.Equal("e\u0301", BookDecoder.Decode(decomposed, "n.txt").Text);
        Assert.Equal("\u00E9", BookDecoder.Decode(decomposed, "n.txt", new DecodeOptions { NormalizeToNfc = true }).Text);
    }

    [Fact]
    public void NulHeavyInputIsRejectedAsBinary()
    {
        byte[] bytes = [.. "PK"u8, 0x03, 0x04, .. new byte[200], .. "payload"u8];

        var ex = Assert.Throws<BookFormatException>(() => BookDecoder.Decode(bytes, "archive.zip"));

        Assert.Contains("binary", ex.Message, StringComparison.Ordinal);
        Assert.Contains("archive.zip", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, ex.ByteOffset);
    }

    [Fact]
    public void Utf16WithoutBomIsRejectedUnlessNamed()
    {
        byte[] bytes = Encoding.Unicode.GetBytes("Plain ASCII text stored as UTF-16.");

        var ex = Assert.Throws<BookFormatException>(() => BookDecoder.Decode(bytes, "wide.txt"));
        DecodedText named = BookDecoder.Decode(bytes, "wide.txt", new DecodeOptions { Encoding = "utf-16" });

        Assert.Contains("utf-16", ex.Message, StringComparison.Ordinal);
        Assert.Equal("Plain ASCII text stored as UTF-16.", named.Text);
    }

    [Fact]
    public void AStrayNulInLongTextIsTolerated()
    {
        byte[] bytes = [.. Encoding.UTF8.GetBytes(new string('a', 1000)), 0x00, .. "b"u8];

        Assert.Equal(1002, BookDecoder.Decode(bytes, "nul.txt").Text.Length);
    }

    [Fact]
    public void EmptyInputIsAClearError()
    {
        var ex = Assert.Throws<BookFormatException>(() => BookDecoder.Decode([], "empty.txt"));

        Assert.Contains("empty.txt", ex.Message, StringComparison.Ordinal);
        Assert.Contains("empty", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileIsFileNotFoundWithThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"no-such-book-{Guid.NewGuid():N}.txt");

        var ex = Assert.Throws<FileNotFoundException>(() => BookDecoder.DecodeFile(path));

        Assert.Equal(path, ex.FileName);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }
}
