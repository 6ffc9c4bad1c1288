using System.Diagnostics;
using Xunit.Abstractions;

namespace DistributedAttention.Text.Tests;

public sealed class RealBookTokenizerTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(RealBooks.WarAndPeace)]
    [InlineData(RealBooks.PrideAndPrejudice)]
    [InlineData(RealBooks.KingJamesBible)]
    public void PiecewiseEncodingOfTheWholeBookEqualsOneCall(string name)
    {
        Book book = RealBooks.Get(name);

        var watch = Stopwatch.StartNew();
        int[] whole = book.Tokenizer.EncodeWhole(book.Text);
        double wholeMs = watch.Elapsed.TotalMilliseconds;
        watch.Restart();
        TokenizedText pieces = book.Tokenizer.Encode(book.Text);
        double piecesMs = watch.Elapsed.TotalMilliseconds;

        Assert.Equal(whole, book.TokenIds);
        Assert.Equal(whole, pieces.Ids);
        output.WriteLine($"{name}: {book.Text.Length:N0} chars, {book.TokenCount:N0} tokens; "
            + $"one call {wholeMs:F0} ms (ids only), in pieces {piecesMs:F0} ms (ids and offsets)");
    }

    [Fact]
    public void SmallPiecesOnAnExcerptEqualOneCall()
    {
        string excerpt = RealBooks.Get(RealBooks.WarAndPeace).Text[..300_000];
        BookTokenizer tokenizer = BookTokenizer.Gpt2;

        Assert.Equal(tokenizer.EncodeWhole(excerpt), tokenizer.EncodeInPieces(excerpt, 500).Ids);
    }

    [Theory]
    [InlineData(RealBooks.WarAndPeace)]
    [InlineData(RealBooks.PrideAndPrejudice)]
    [InlineData(RealBooks.KingJamesBible)]
    public void WholeBookRoundTrips(string name)
    {
        Book book = RealBooks.Get(name);

        Assert.Equal(book.Text, book.Tokenizer.Decode(book.TokenIds));
        for (int i = 1; i < book.TokenCount; i++)
        {
            Assert.True(book.TokenOffsets[i - 1] <= book.TokenOffsets[i], $"offset of token {i} goes back");
        }
    }

    [Fact]
    public void ExcerptOffsetsMapToTheirText()
    {
        // Smart quotes and accented names: several tokens share one char there.
        string excerpt = RealBooks.Get(RealBooks.WarAndPeace).Text[..60_000];

        BookTokenizerTests.AssertOffsetsMatch(BookTokenizer.Gpt2.Encode(excerpt), excerpt);
    }

    [Fact]
    public void WarAndPeaceTokenCountIsPlausible()
    {
        Book book = RealBooks.Get(RealBooks.WarAndPeace);
        double charsPerToken = (double)book.Text.Length / book.TokenCount;

        output.WriteLine($"War and Peace: {book.TokenCount:N0} GPT-2 tokens, {charsPerToken:F2} chars per token");
        Assert.InRange(book.TokenCount, 700_000, 1_000_000);
        Assert.InRange(charsPerToken, 3.3, 4.5);
    }
}
