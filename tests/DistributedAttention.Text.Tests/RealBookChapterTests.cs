using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace DistributedAttention.Text.Tests;

/// <summary>
/// Heading counts of the real books. Each expected count is also recounted here from the raw
/// lines with a plain pattern, so a change in the files shows up as a clear mismatch.
/// </summary>
public sealed class RealBookChapterTests(ITestOutputHelper output)
{
    [Fact]
    public void WarAndPeaceHasItsBooksEpiloguesAndChapters()
    {
        // This copy starts inside Book One, Chapter I: those two headings are missing, so it has
        // 14 BOOK headings (TWO to FIFTEEN), 2 epilogues and 364 CHAPTER headings.
        Book book = RealBooks.Get(RealBooks.WarAndPeace);
        string[] lines = book.Text.Split('\n');

        Section[] divisions = [.. book.Sections.Where(s => s.Level == 1)];
        Section[] chapters = [.. book.Sections.Where(s => s.Kind == SectionKind.Chapter)];

        Assert.Equal(14, divisions.Count(s => s.Kind == SectionKind.Book));
        Assert.Equal(lines.Count(l => l.StartsWith("BOOK ", StringComparison.Ordinal)), divisions.Count(s => s.Kind == SectionKind.Book));
        Assert.Equal(["FIRST EPILOGUE: 1813 - 20", "SECOND EPILOGUE"], divisions.Where(s => s.Kind == SectionKind.Epilogue).Select(s => s.Title));
        Assert.Equal("BOOK TWO: 1805", divisions[0].Title);
        Assert.Equal("BOOK FIFTEEN: 1812 - 13", divisions[13].Title);
        Assert.Equal(364, chapters.Length);
        Assert.Equal(lines.Count(l => Regex.IsMatch(l, "^CHAPTER [IVXLC]+$")), chapters.Length);
        Assert.Equal(SectionKind.FrontMatter, book.Sections[0].Kind);
        Assert.Equal(1 + 16 + 364, book.Sections.Count);
        Report(book);
    }

    [Fact]
    public void PrideAndPrejudiceHasItsChaptersAndNotItsIllustrationList()
    {
        // This copy ends inside Chapter LI, so it has 51 chapters, not 61. Its list of
        // illustrations ("Heading to Chapter I. ... 1") must not count.
        Book book = RealBooks.Get(RealBooks.PrideAndPrejudice);
        string[] lines = book.Text.Split('\n');

        Section[] chapters = [.. book.Sections.Where(s => s.Kind == SectionKind.Chapter)];

        Assert.Equal(51, chapters.Length);
        Assert.Equal(lines.Count(l => Regex.IsMatch(l.Trim(), @"^(CHAPTER|Chapter) [IVXLC]+\.?\]?$")), chapters.Length);
        Assert.Equal("Chapter I.", chapters[0].Title);
        Assert.Equal("CHAPTER LI.", chapters[^1].Title);
        Assert.StartsWith("Chapter I.]\n\n\nIt is a truth universally acknowledged", book.Text[chapters[0].CharStart..], StringComparison.Ordinal);
        Assert.Equal(["Front matter", "PREFACE."], book.Sections.Where(s => s.Level < 2).Select(s => s.Title));
        Report(book);
    }

    [Fact]
    public void KingJamesBibleHasItsSixtySixBooks()
    {
        // Each book opens with a navigation line, its name and a chapter index; "Book NN" markers
        // number 65 because book 50 (Philippians) is marked "New File" instead.
        Book book = RealBooks.Get(RealBooks.KingJamesBible);

        Section[] books = [.. book.Sections.Where(s => s.Kind == SectionKind.Book)];

        Assert.Equal(66, books.Length);
        Assert.Equal(book.Text.Split('\n').Count(l => l.StartsWith("1:1 ", StringComparison.Ordinal)), books.Length);
        Assert.Equal("Genesis", books[0].Title);
        Assert.Equal("Philippians", books[49].Title);
        Assert.Equal("Revelation", books[^1].Title);
        Assert.Contains(books, s => s.Title == "Song of Solomon");
        Assert.All(books, s => Assert.Equal(1, s.Level));
        Report(book);
    }

    [Theory]
    [InlineData(RealBooks.WarAndPeace)]
    [InlineData(RealBooks.PrideAndPrejudice)]
    [InlineData(RealBooks.KingJamesBible)]
    public void SectionsCoverTheTextAndTheTokens(string name)
    {
        Book book = RealBooks.Get(name);

        SectionInvariants.AssertCoversText(book.Sections, book.Text.Length);
        SectionInvariants.AssertCoversTokens(book.Sections, book.Tokens);
    }

    private void Report(Book book)
    {
        IEnumerable<string> counts = book.Sections.GroupBy(s => s.Kind).Select(g => $"{g.Key} {g.Count()}");
        int largest = book.Sections.Max(s => s.TokenCount);
        output.WriteLine($"{Path.GetFileName(book.SourceName)}: {string.Join(", ", counts)}; largest section {largest:N0} tokens");
    }
}
