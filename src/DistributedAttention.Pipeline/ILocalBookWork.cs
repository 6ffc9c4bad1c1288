namespace DistributedAttention.Pipeline;

/// <summary>
/// What a book job does on the machine that runs it with a tensor library, beside the cluster's
/// work: the matmul roof the layers' speed is compared with, and, with trained weights, the
/// language-model scoring and its plots. <c>DistributedAttention.Pipeline.Local</c> implements it;
/// a host without libtorch runs book jobs without it (no roof in the summary, no trained weights).
/// </summary>
public interface ILocalBookWork
{
    /// <summary>This machine's fp32 matmul rate in GFLOP/s (the roof in summary.json's <c>speed</c>).</summary>
    double MatmulGflops();

    /// <summary>
    /// With trained weights: the loss and perplexity of every section (the tied head over the
    /// hidden states at <paramref name="hiddenPath"/>), and the perplexity and chapter-similarity
    /// plots written into <paramref name="folder"/>.
    /// </summary>
    /// <param name="book">The book, with its <see cref="PreparedBook.Weights"/>.</param>
    /// <param name="hiddenPath">The job's hidden states.</param>
    /// <param name="sectionMeans">The mean hidden state of each section, row-major (sections, d_model).</param>
    /// <param name="folder">The job's output folder.</param>
    (IReadOnlyList<SectionRange> Sections, LanguageModelSummary Book) Score(PreparedBook book, string hiddenPath, float[] sectionMeans, string folder);

    /// <summary>The perplexity-by-section and chapter-similarity plots of sections already scored (a pretrained model's, scored on the shards), written into <paramref name="folder"/>.</summary>
    /// <param name="folder">The job's output folder.</param>
    /// <param name="book">The book's name, for the titles.</param>
    /// <param name="sections">The sections with their loss.</param>
    /// <param name="sectionMeans">The mean hidden state of each section, row-major (sections, hidden).</param>
    /// <param name="hiddenSize">The hidden size.</param>
    void PlotSections(string folder, string book, IReadOnlyList<SectionRange> sections, float[] sectionMeans, int hiddenSize);
}
