namespace DistributedAttention.Pipeline;

/// <summary>The files a book job writes into its output folder.</summary>
public static class BookJobFiles
{
    /// <summary>Hidden states, (n, d_model) fp32 safetensors.</summary>
    public const string Hidden = "hidden.safetensors";

    /// <summary>Mean hidden state per chapter, (sections, d_model) fp32 safetensors.</summary>
    public const string ChapterVectors = "chapters.safetensors";

    /// <summary>The chapters found: titles, kinds, token and character ranges.</summary>
    public const string Chapters = "chapters.json";

    /// <summary>What ran where, phase timings, bytes, recoveries, trace id.</summary>
    public const string Summary = "summary.json";

    /// <summary>With trained weights: perplexity per section, a PNG.</summary>
    public const string PerplexityPlot = "perplexity-by-section.png";

    /// <summary>With trained weights: cosine similarity of every pair of chapter vectors, a PNG heatmap.</summary>
    public const string SimilarityPlot = "chapter-similarity.png";

    /// <summary>With a pretrained model: <c>input_ids</c> (n) int64, exactly the ids the model saw.</summary>
    public const string TokenIds = "tokens.safetensors";

    /// <summary>With a pretrained model: <c>logprob</c> and <c>entropy</c> (n − 1) fp32, log p(token i + 1 | tokens ≤ i) and the prediction's entropy in nats.</summary>
    public const string TokenLogProbs = "token-logprobs.safetensors";

    /// <summary>Every output, in the order a reader wants them.</summary>
    public static IReadOnlyList<string> All { get; } = [Summary, Chapters, ChapterVectors, Hidden];

    /// <summary>Every output of a pretrained model's job, in the order a reader wants them (the plots where the host draws them).</summary>
    public static IReadOnlyList<string> AllPretrained { get; } = [Summary, Chapters, TokenLogProbs, TokenIds, ChapterVectors, Hidden, PerplexityPlot, SimilarityPlot];
}
