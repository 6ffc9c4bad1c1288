namespace DistributedAttention.Text.Tests;

public sealed class GutenbergBoilerplateTests
{
    [Fact]
    public void ContentLiesBetweenTheMarkers()
    {
        string text = "Title: X\n\n*** START OF THE PROJECT GUTENBERG EBOOK X ***\n\n\nBody line.\n\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\nLicence\n";

        ContentRange range = GutenbergBoilerplate.FindContent(text);

        Assert.Equal("Body line.", text[range.Start..range.End]);
        Assert.True(range.HasStartMarker);
        Assert.True(range.HasEndMarker);
    }

    [Fact]
    public void OlderMarkerWordingIsRecognised()
    {
        string text = "***START OF THIS PROJECT GUTENBERG EBOOK X***\nBody.\n*** END OF THIS PROJECT GUTENBERG EBOOK X ***\n";

        ContentRange range = GutenbergBoilerplate.FindContent(text);

        Assert.Equal("Body.", text[range.Start..range.End]);
    }

    [Fact]
    public void MissingEndMarkerRunsToTheEnd()
    {
        string text = "*** START OF THE PROJECT GUTENBERG EBOOK X ***\nBody\n";

        ContentRange range = GutenbergBoilerplate.FindContent(text);

        Assert.Equal("Body\n", text[range.Start..range.End]);
        Assert.False(range.HasEndMarker);
    }

    [Fact]
    public void WithoutMarkersTheWholeTextIsContent()
    {
        string text = "\nPlain text. *** START OF nothing\n";

        Assert.Equal(new ContentRange(0, text.Length, false, false), GutenbergBoilerplate.FindContent(text));
    }

    [Fact]
    public void PrideAndPrejudiceLosesItsHeader()
    {
        Book book = RealBooks.Get(RealBooks.PrideAndPrejudice);

        Assert.True(book.Content.HasStartMarker);
        Assert.False(book.Content.HasEndMarker);
        Assert.DoesNotContain("*** START OF", book.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Release date", book.Text, StringComparison.Ordinal);
        Assert.StartsWith("[Illustration:", book.Text, StringComparison.Ordinal);
    }
}
