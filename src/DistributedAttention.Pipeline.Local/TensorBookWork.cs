using DistributedAttention.Model;

namespace DistributedAttention.Pipeline.Local;

/// <summary>A book job's local work on TorchSharp: the matmul roof, the language-model scoring and its plots.</summary>
public sealed class TensorBookWork : ILocalBookWork
{
    /// <summary>The one instance (it holds nothing).</summary>
    public static TensorBookWork Instance { get; } = new();

    private TensorBookWork()
    {
    }

    /// <inheritdoc />
    public double MatmulGflops() => MatmulRoof.MeasureGflops();

    /// <inheritdoc />
    public (IReadOnlyList<SectionRange> Sections, LanguageModelSummary Book) Score(PreparedBook book, string hiddenPath, float[] sectionMeans, string folder)
    {
        ArgumentNullException.ThrowIfNull(book);
        var weights = book.Weights ?? throw new ArgumentException("the book has no trained weights to score.", nameof(book));
        var (sections, summary) = SectionLanguageModelStats.Score(weights.Path, hiddenPath, book.Tokens, book.Sections);
        BookPlots.Perplexity(Path.Combine(folder, BookJobFiles.PerplexityPlot), book.Name, sections);
        BookPlots.Similarity(Path.Combine(folder, BookJobFiles.SimilarityPlot), book.Name, sectionMeans, book.Model.ModelDim);
        return (sections, summary);
    }

    /// <inheritdoc />
    public void PlotSections(string folder, string book, IReadOnlyList<SectionRange> sections, float[] sectionMeans, int hiddenSize)
    {
        BookPlots.Perplexity(Path.Combine(folder, BookJobFiles.PerplexityPlot), book, sections);
        BookPlots.Similarity(Path.Combine(folder, BookJobFiles.SimilarityPlot), book, sectionMeans, hiddenSize);
    }
}
