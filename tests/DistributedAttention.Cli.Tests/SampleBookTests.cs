using DistributedAttention.Cli.Samples;
using DistributedAttention.Model.Tests;
using DistributedAttention.Testing.Processes;
using DistributedAttention.Text;

namespace DistributedAttention.Cli.Tests;

/// <summary>The generated and the bundled sample books: deterministic, and their chapters are found.</summary>
public sealed class SampleBookTests
{
    [Fact]
    public void The_generator_is_deterministic_per_seed()
    {
        Assert.Equal(SampleBookGenerator.Generate(3000, seed: 7), SampleBookGenerator.Generate(3000, seed: 7));
        Assert.NotEqual(SampleBookGenerator.Generate(3000, seed: 7), SampleBookGenerator.Generate(3000, seed: 8));
        // A fixed fingerprint: a change of generator shows up here, not silently in benchmarks.
        Assert.StartsWith("THE KEEPER OF THE NORTH LIGHT\n", SampleBookGenerator.Generate(10));
    }

    [Theory]
    [InlineData(2_000)]
    [InlineData(30_000)]
    public void Generated_books_are_about_the_requested_size_and_every_chapter_is_detected(int tokens)
    {
        var text = SampleBookGenerator.Generate(tokens);
        var book = BookReader.FromDecoded(new DecodedText(text, new DecodingReport("utf-8", DecodingMethod.Utf8, null)), "generated");
        Assert.InRange(book.TokenCount, tokens * 0.8, tokens * 1.25);
        var headings = text.Split('\n').Count(line => line.StartsWith("CHAPTER ", StringComparison.Ordinal));
        var chapters = book.Sections.Where(s => s.Kind == SectionKind.Chapter).ToList();
        Assert.Equal(headings, chapters.Count);
        Assert.Equal("CHAPTER I. The Lamp", chapters[0].Title);
        Assert.Equal($"CHAPTER {SampleBookGenerator.Roman(headings)}.", chapters[^1].Title[..(chapters[^1].Title.IndexOf('.') + 1)]);
    }

    [Fact]
    public void The_bundled_sample_has_four_detected_chapters()
    {
        var book = BookReader.Read(Path.Combine(Repo.Root, "samples", "books", "the-north-light.txt"));
        Assert.Equal(
            ["CHAPTER I. The Keeper", "CHAPTER II. The Logbook", "CHAPTER III. The Storm", "CHAPTER IV. The Letter"],
            book.Sections.Where(s => s.Kind == SectionKind.Chapter).Select(s => s.Title));
        Assert.InRange(book.TokenCount, 800, 3000);
    }

    [Fact]
    public async Task The_sample_command_writes_the_generated_book()
    {
        using var dir = new TempDir();
        var path = dir.File("book.txt");
        var run = await CliHarness.RunAsync(null, "sample", "--output", path, "--tokens", "5000", "--seed", "3");
        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        Assert.Equal(SampleBookGenerator.Generate(5000, 3), await File.ReadAllTextAsync(path));
        Assert.Contains("chapters", run.Output);
    }

    [Fact]
    public void Roman_numerals()
    {
        Assert.Equal(["I", "IV", "IX", "XIV", "XL", "XCIX", "MMXXIV"], new[] { 1, 4, 9, 14, 40, 99, 2024 }.Select(SampleBookGenerator.Roman));
    }
}
