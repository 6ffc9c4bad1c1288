namespace DistributedAttention.Text.Tests;

internal static class SectionInvariants
{
    /// <summary>Sections are ordered, contiguous, non-empty and cover <c>[0, textLength)</c>.</summary>
    public static void AssertCoversText(IReadOnlyList<Section> sections, int textLength)
    {
        Assert.NotEmpty(sections);
        Assert.Equal(0, sections[0].CharStart);
        Assert.Equal(textLength, sections[^1].CharEnd);
        for (int i = 0; i < sections.Count; i++)
        {
            Assert.True(sections[i].CharStart < sections[i].CharEnd, $"section {i} '{sections[i].Title}' is empty");
            if (i > 0)
            {
                Assert.Equal(sections[i - 1].CharEnd, sections[i].CharStart);
            }
        }
    }

    /// <summary>Token ranges are ordered, contiguous, cover all tokens, and agree with the char ranges.</summary>
    public static void AssertCoversTokens(IReadOnlyList<Section> sections, TokenizedText tokens)
    {
        Assert.All(sections, s => Assert.True(s.HasTokenRange));
        Assert.Equal(0, sections[0].TokenStart);
        Assert.Equal(tokens.Count, sections[^1].TokenEnd);
        for (int i = 0; i < sections.Count; i++)
        {
            Section s = sections[i];
            Assert.True(s.TokenStart <= s.TokenEnd);
            if (i > 0)
            {
                Assert.Equal(sections[i - 1].TokenEnd, s.TokenStart);
            }

            if (s.TokenStart < s.TokenEnd)
            {
                Assert.InRange(tokens.Offsets[s.TokenStart], s.CharStart, s.CharEnd - 1);
                Assert.InRange(tokens.Offsets[s.TokenEnd - 1], s.CharStart, s.CharEnd - 1);
            }
        }
    }
}
