namespace DistributedAttention.Text.Tests;

public sealed class ChapterDetectorTests
{
    // Enough letters to count as body text (the default minimum is 100).
    private const string Body =
        "It was a bright cold day in April, and the clocks were striking thirteen. The hallway smelt of boiled\n"
        + "cabbage and old rag mats. At one end of it a coloured poster, too large for indoor display, had been\n"
        + "tacked to the wall.\n\n";

    private static readonly ChapterDetector Detector = new();

    [Fact]
    public void CommonChapterHeadingsAreFound()
    {
        string text = "CHAPTER I\n\n" + Body + "CHAPTER II.\n\n" + Body + "Chapter 3\n\n" + Body + "Chapter IV. The Ball\n\n" + Body
            + "[Illustration: a picture\n\nChapter V.]\n\n" + Body + "CHAPTER SIX: ENDINGS\n\n" + Body
            + "Chapter 7 - “Quoted”\n\n" + Body + "CHAPTER XLIV THE LAST\n\n" + Body;

        IReadOnlyList<Section> sections = Detector.Detect(text);

        Assert.Equal(["CHAPTER I", "CHAPTER II.", "Chapter 3", "Chapter IV. The Ball", "Chapter V.", "CHAPTER SIX: ENDINGS", "Chapter 7 - “Quoted”", "CHAPTER XLIV THE LAST"], sections.Select(s => s.Title));
        Assert.All(sections, s => Assert.Equal((2, SectionKind.Chapter), (s.Level, s.Kind)));
        SectionInvariants.AssertCoversText(sections, text.Length);
    }

    [Fact]
    public void DivisionsNestChapters()
    {
        string text = "BOOK ONE: 1805\n\nCHAPTER I\n\n" + Body + "CHAPTER II\n\n" + Body
            + "PART THE SECOND\n\nCHAPTER I\n\n" + Body + "FIRST EPILOGUE: 1813 - 20\n\nCHAPTER I\n\n" + Body
            + "EPILOGUE\n\n" + Body;

        IReadOnlyList<Section> sections = Detector.Detect(text);

        Assert.Equal(
            [
                ("BOOK ONE: 1805", 1, SectionKind.Book), ("CHAPTER I", 2, SectionKind.Chapter), ("CHAPTER II", 2, SectionKind.Chapter),
                ("PART THE SECOND", 1, SectionKind.Part), ("CHAPTER I", 2, SectionKind.Chapter),
                ("FIRST EPILOGUE: 1813 - 20", 1, SectionKind.Epilogue), ("CHAPTER I", 2, SectionKind.Chapter),
                ("EPILOGUE", 1, SectionKind.Epilogue),
            ],
            sections.Select(s => (s.Title, s.Level, s.Kind)));
        SectionInvariants.AssertCoversText(sections, text.Length);
    }

    [Fact]
    public void TableOfContentsIsNotTakenForChapters()
    {
        string toc = "CONTENTS\n\nBOOK ONE\n\nCHAPTER I. The Start\n\nCHAPTER II. The Middle\n\nBOOK TWO\n\nCHAPTER III. The End\n\n\n";
        string text = "A Title\n\n" + toc + "BOOK ONE\n\nCHAPTER I. The Start\n\n" + Body + "CHAPTER II. The Middle\n\n" + Body
            + "BOOK TWO\n\nCHAPTER III. The End\n\n" + Body;

        IReadOnlyList<Section> sections = Detector.Detect(text);

        Assert.Equal(["Front matter", "BOOK ONE", "CHAPTER I. The Start", "CHAPTER II. The Middle", "BOOK TWO", "CHAPTER III. The End"], sections.Select(s => s.Title));
        Assert.Equal(SectionKind.FrontMatter, sections[0].Kind);
        Assert.Equal(("A Title\n\n" + toc).Length, sections[1].CharStart);
        SectionInvariants.AssertCoversText(sections, text.Length);
    }

    [Theory]
    [InlineData("Book 3 of the series was never written, and so on.")]
    [InlineData("Chapter and verse were quoted at him.")]
    [InlineData("Part of the army had gone.")]
    [InlineData("chapter iv")]
    [InlineData("MONSIEUR LE PRINCE KOUTOUZOV:")]
    [InlineData("Introduction of the new members followed.")]
    [InlineData("Part one, of course, was the easiest.")]
    [InlineData("Part mild, part wild.")]
    [InlineData("Book did. It did.")]
    [InlineData("BOOK CLUB MEETING")]
    [InlineData("CHAPTER MILD")]
    public void ProseIsNotAHeading(string line)
    {
        string text = "CHAPTER I\n\n" + Body + line + "\n\n" + Body;

        Assert.Single(Detector.Detect(text));
    }

    [Fact]
    public void AHeadingMustFollowABlankLine()
    {
        string text = "CHAPTER I\n\n" + Body.TrimEnd('\n') + "\nCHAPTER II\n\n" + Body;

        Assert.Single(Detector.Detect(text));
    }

    [Fact]
    public void LeadingWhitespaceJoinsTheFirstSection()
    {
        string text = "\n\n   \nCHAPTER I\n\n" + Body;

        Section only = Assert.Single(Detector.Detect(text));

        Assert.Equal((0, text.Length), (only.CharStart, only.CharEnd));
    }

    [Fact]
    public void ScriptureBookTitlesAreFound()
    {
        string chapterIndex = "Chapter\n2\u00A0\u00A0 3\u00A0\u00A0 4\u00A0\u00A0\n\n";
        string text = "Book 01\n\nPrevious Home Next\n\nGenesis\n\n" + chapterIndex + "1:1 In the beginning God created the heaven and the earth.\n\n" + Body
            + "2:1 Thus the heavens and the earth were finished.\n\n" + Body
            + "Previous Home Next\n\nNew File\n\nPrevious Home Next\n\n3 John\n\n1:1 The elder unto the wellbeloved Gaius.\n\n" + Body
            + "The First Book of Moses: Called Genesis\n\n\n1:1 In the beginning.\n\n" + Body;

        IReadOnlyList<Section> sections = Detector.Detect(text);

        Assert.Equal(["Front matter", "Genesis", "3 John", "The First Book of Moses: Called Genesis"], sections.Select(s => s.Title));
        Assert.All(sections.Skip(1), s => Assert.Equal((1, SectionKind.Book), (s.Level, s.Kind)));
    }

    [Fact]
    public void TextWithoutHeadingsIsCutIntoFixedSizeSections()
    {
        string text = string.Concat(Enumerable.Repeat(Body, 1200));
        var detector = new ChapterDetector(new ChapterDetectorOptions { FallbackSectionChars = 20_000 });

        IReadOnlyList<Section> sections = detector.Detect(text);

        SectionInvariants.AssertCoversText(sections, text.Length);
        Assert.InRange(sections.Count, text.Length / 30_000, text.Length / 20_000 + 1);
        Assert.All(sections, s => Assert.Equal((1, SectionKind.FixedSize), (s.Level, s.Kind)));
        Assert.All(sections.Skip(1), s => Assert.Equal("\n\n", text[(s.CharStart - 2)..s.CharStart]));
        Assert.Equal("Section 1", sections[0].Title);
    }

    [Fact]
    public void ShortTextWithoutHeadingsIsOneSection()
    {
        Section only = Assert.Single(Detector.Detect("Just a few words."));

        Assert.Equal(SectionKind.FixedSize, only.Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" \n\n\t")]
    public void BlankTextHasNoSections(string text) => Assert.Empty(Detector.Detect(text));

    [Fact]
    public void SectionsGetContiguousTokenRanges()
    {
        string text = "Some front matter.\n\nCHAPTER I\n\n" + Body + "CHAPTER II\n\n" + Body;
        TokenizedText tokens = BookTokenizer.Gpt2.Encode(text);

        IReadOnlyList<Section> sections = Section.WithTokenRanges(Detector.Detect(text), tokens);

        SectionInvariants.AssertCoversTokens(sections, tokens);
        Assert.StartsWith("CHAPTER I\n", BookTokenizer.Gpt2.Decode(tokens.Ids[sections[1].TokenStart..sections[1].TokenEnd]), StringComparison.Ordinal);
        Assert.EndsWith("tacked to the wall.\n\n", BookTokenizer.Gpt2.Decode(tokens.Ids[sections[1].TokenStart..sections[1].TokenEnd]), StringComparison.Ordinal);
    }
}
