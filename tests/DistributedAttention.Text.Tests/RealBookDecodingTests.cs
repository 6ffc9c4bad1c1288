namespace DistributedAttention.Text.Tests;

public sealed class RealBookDecodingTests
{
    [Theory]
    [InlineData(RealBooks.WarAndPeace, "byte 0x93 at offset 0")]
    [InlineData(RealBooks.PrideAndPrejudice, "byte 0x92 at offset 1266")]
    public void Windows1252BooksFallBack(string name, string firstInvalid)
    {
        DecodedText decoded = BookDecoder.DecodeFile(RealBooks.PathOf(name));

        Assert.True(decoded.Report.UsedFallback);
        Assert.Equal("windows-1252", decoded.Report.EncodingName);
        Assert.Contains(firstInvalid, decoded.Report.Detail, StringComparison.Ordinal);
        AssertClean(decoded.Text);
    }

    [Fact]
    public void WarAndPeaceHasTheRightCharacters()
    {
        string text = BookDecoder.DecodeFile(RealBooks.PathOf(RealBooks.WarAndPeace)).Text;

        Assert.StartsWith("\u201CWell, Prince, so Genoa", text, StringComparison.Ordinal);
        Assert.Contains("Anna P\u00E1vlovna Sch\u00E9rer", text, StringComparison.Ordinal);
        Assert.Contains("don\u2019t", text, StringComparison.Ordinal);
    }

    [Fact]
    public void KingJamesBibleIsUtf8AndLosesItsCarriageReturns()
    {
        string path = RealBooks.PathOf(RealBooks.KingJamesBible);
        DecodedText decoded = BookDecoder.DecodeFile(path);

        Assert.Equal(DecodingMethod.Utf8, decoded.Report.Method);
        Assert.Equal("utf-8", decoded.Report.EncodingName);
        Assert.Contains("1:1 In the beginning God created the heaven and the earth.", decoded.Text, StringComparison.Ordinal);
        Assert.Contains('\u00A0', decoded.Text);
        AssertClean(decoded.Text);
    }

    [Fact]
    public void ForcingUtf8OnWarAndPeaceFailsAtTheFirstByte()
    {
        string path = RealBooks.PathOf(RealBooks.WarAndPeace);

        var ex = Assert.Throws<BookFormatException>(() => BookDecoder.DecodeFile(path, new DecodeOptions { Encoding = "utf-8" }));

        Assert.Equal(0, ex.ByteOffset);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("0x93", ex.Message, StringComparison.Ordinal);
    }

    private static void AssertClean(string text)
    {
        Assert.DoesNotContain('\uFFFD', text);
        Assert.DoesNotContain('\r', text);
        Assert.NotEqual('\uFEFF', text[0]);
    }
}
