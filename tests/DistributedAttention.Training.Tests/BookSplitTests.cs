using DistributedAttention.Model.Tests;

namespace DistributedAttention.Training.Tests;

/// <summary>Held-out text is whole sections from each book's end, at least the asked fraction, and never in training.</summary>
public sealed class BookSplitTests
{
    [Theory]
    [InlineData(0.05)]
    [InlineData(0.2)]
    [InlineData(0.45)]
    public void The_last_whole_sections_are_held_out_until_they_hold_the_fraction(double fraction)
    {
        using var temp = new TempDir();
        var book = TrainingFixtures.RepetitiveBook(temp.Path, "book.txt", chapters: 10, sentencesPerChapter: 20, seed: 1);
        var split = BookSplit.Of(book, fraction);

        Assert.Equal("book.txt", split.Book);
        Assert.True(split.HeldOutTokens >= fraction * book.TokenCount, $"held out {split.HeldOutTokens} < {fraction} of {book.TokenCount}");
        var sections = book.Sections.Where(s => s.TokenCount > 0).ToList();
        // Exactly the last sections, whole, in order; dropping the first of them would fall short of the fraction.
        var held = sections.TakeLast(split.HeldOut.Count).ToList();
        Assert.Equal(held.Select(s => s.Title), split.HeldOut.Select(s => s.Title));
        Assert.Equal(held.Select(s => s.TokenStart), split.HeldOut.Select(s => s.TokenStart));
        Assert.True(split.HeldOutTokens - held[0].TokenCount < fraction * book.TokenCount);
        // Training is everything before, and the two together are the book.
        Assert.Equal(book.TokenIds[..held[0].TokenStart], split.Train);
        Assert.Equal(book.TokenIds, split.Train.Concat(split.HeldOut.SelectMany(s => s.Tokens)).ToArray());
    }

    [Fact]
    public void A_book_without_sections_to_split_holds_out_its_last_tokens()
    {
        using var temp = new TempDir();
        var path = Path.Combine(temp.Path, "plain.txt");
        File.WriteAllText(path, string.Join(' ', Enumerable.Repeat("a plain text with no headings at all.", 200)));
        var book = Text.BookReader.Read(path);
        var split = BookSplit.Of(book, 0.1);

        var held = Assert.Single(split.HeldOut);
        Assert.StartsWith("last ", held.Title, StringComparison.Ordinal);
        Assert.Equal((int)Math.Ceiling(0.1 * book.TokenCount), held.Tokens.Length);
        Assert.Equal(book.TokenIds, split.Train.Concat(held.Tokens).ToArray());
    }
}
