namespace DistributedAttention.Text.Tests;

public sealed class BookTokenizerTests
{
    private static readonly BookTokenizer Gpt2 = BookTokenizer.Gpt2;

    public static TheoryData<string> Samples => new()
    {
        "",
        "Hello world",
        "Hello\n\nWorld",
        "  leading and trailing spaces   ",
        "\n\n\nblank lines first\n\n\n",
        "It's, they're; we'll: I'd — “quoted” ‘single’ … ellipsis",
        "naïve café résumé Schérer Pávlovna",
        "日本語のテキスト and 中文 mixed",
        "emoji 😀👍🏽 and flags 🇫🇷",
        "combining e\u0301 and C1 \u0081\u009D controls",
        "tabs\tand\u00A0no-break\u2028line separator",
        "numbers 1805, 3.14159 and 1:1 verses",
        "<|endoftext|> as text",
    };

    [Fact]
    public void VocabularyIsGpt2()
    {
        Assert.Equal("gpt2", Gpt2.Name);
        Assert.Equal(50257, Gpt2.VocabSize);
        Assert.Equal(50256, Gpt2.EndOfTextId);
        Assert.Equal([15496, 995], Gpt2.Encode("Hello world").Ids);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void DecodeOfEncodeIsTheText(string text)
    {
        TokenizedText tokens = Gpt2.Encode(text);

        Assert.Equal(text, Gpt2.Decode(tokens.Ids));
        Assert.All(tokens.Ids, id => Assert.InRange(id, 0, Gpt2.VocabSize - 1));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void OffsetsAreMonotonicAndMapToTheDecodedText(string text) => AssertOffsetsMatch(Gpt2.Encode(text), text);

    [Theory]
    [MemberData(nameof(Samples))]
    public void TinyPiecesGiveTheWholeTextTokens(string text)
    {
        int[] whole = Gpt2.EncodeWhole(text);
        for (int piece = 1; piece <= 12; piece++)
        {
            TokenizedText pieces = Gpt2.EncodeInPieces(text, piece);
            Assert.Equal(whole, pieces.Ids);
            AssertOffsetsMatch(pieces, text);
        }
    }

    [Fact]
    public void RandomTextInRandomPiecesEqualsWholeTextEncoding()
    {
        // Fragments chosen to stress the cut rule: runs of spaces and newlines, contractions,
        // punctuation, digits, multi-byte and surrogate-pair chars.
        string[] fragments = ["a", "Bc", "word", " ", "  ", "\n", "\n\n", "\t", "'s", "'ll", ".", ",", "—", "“", "1", "42", "é", "日", "😀", "\u00A0"];
        var random = new Random(1234);
        for (int trial = 0; trial < 300; trial++)
        {
            string text = string.Concat(Enumerable.Range(0, random.Next(1, 200)).Select(_ => fragments[random.Next(fragments.Length)]));
            int piece = random.Next(1, 40);

            Assert.Equal(Gpt2.EncodeWhole(text), Gpt2.EncodeInPieces(text, piece).Ids);
        }
    }

    [Theory]
    [InlineData("ab\ncd", 3, true)]
    [InlineData("ab\n\ncd", 4, false)]
    [InlineData("ab \ncd", 4, false)]
    [InlineData("ab\n cd", 3, false)]
    [InlineData("ab cd", 2, true)]
    [InlineData("ab  cd", 3, false)]
    [InlineData("ab 1d", 2, false)]
    [InlineData("ab. cd", 3, true)]
    public void ExactCutsAreOnlyWherePreTokensAgree(string text, int position, bool exact)
    {
        Assert.Equal(exact, ChunkSplitter.IsExactCut(text, position));
    }

    [Fact]
    public void TokenRangeFindsTokensByStartChar()
    {
        TokenizedText tokens = Gpt2.Encode("Hello world again");

        Assert.Equal((0, 3), tokens.TokenRange(0, 17));
        Assert.Equal((1, 2), tokens.TokenRange(5, 11));
        Assert.Equal((1, 1), tokens.TokenRange(3, 5));
        Assert.Equal(3, tokens.FirstTokenAtOrAfter(17));
    }

    /// <summary>
    /// Offsets never decrease and stay inside the text, and every run of tokens between two
    /// char boundaries decodes to exactly the chars its offsets span.
    /// </summary>
    internal static void AssertOffsetsMatch(TokenizedText tokens, string text)
    {
        Assert.Equal(tokens.Ids.Length, tokens.Offsets.Length);
        Assert.Equal(text.Length, tokens.TextLength);
        if (tokens.Count == 0)
        {
            Assert.Equal(string.Empty, text);
            return;
        }

        Assert.Equal(0, tokens.Offsets[0]);
        for (int i = 1; i < tokens.Count; i++)
        {
            Assert.True(tokens.Offsets[i - 1] <= tokens.Offsets[i], $"offset of token {i} goes back");
        }

        Assert.True(tokens.Offsets[^1] < text.Length);

        // A token that decodes alone without U+FFFD is whole UTF-8, so a char boundary follows
        // it; so does the last token.
        int runStart = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            bool last = i == tokens.Count - 1;
            if (!last && Gpt2.Decode([tokens.Ids[i]]).Contains('\uFFFD', StringComparison.Ordinal))
            {
                continue;
            }

            int runEnd = i + 1;
            string decoded = Gpt2.Decode(tokens.Ids[runStart..runEnd]);
            int from = tokens.CharStart(runStart);
            int to = tokens.CharStart(runEnd);
            Assert.Equal(text[from..to], decoded);
            runStart = runEnd;
        }

        Assert.Equal(tokens.Count, runStart);
    }
}
