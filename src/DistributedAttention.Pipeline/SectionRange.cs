using System.Text.Json.Serialization;

namespace DistributedAttention.Pipeline;

/// <summary>One row of chapters.safetensors: a section of the book and its token range.</summary>
/// <param name="Index">Row in the "chapters" tensor.</param>
/// <param name="Title">Heading as written.</param>
/// <param name="Kind">Chapter, Book, Part, FrontMatter….</param>
/// <param name="Level">0 front matter, 1 division, 2 chapter.</param>
/// <param name="TokenStart">First token.</param>
/// <param name="TokenEnd">One past the last token.</param>
/// <param name="CharStart">First char in the book's text.</param>
/// <param name="CharEnd">One past the last char.</param>
public sealed record SectionRange(int Index, string Title, string Kind, int Level, long TokenStart, long TokenEnd, int CharStart, int CharEnd)
{
    /// <summary>With trained weights: the mean next-token loss in nats over the section's tokens (each predicted from everything before it that the model sees); otherwise absent.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Loss { get; init; }

    /// <summary>e^<see cref="Loss"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Perplexity { get; init; }

    /// <summary>Tokens the loss averages over (the book's first token has no prediction).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? ScoredTokens { get; init; }
}
