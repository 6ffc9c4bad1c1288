namespace DistributedAttention.Pipeline.Local;

/// <summary>The two pictures of a book run with trained weights: perplexity by section, and how alike the chapter vectors are.</summary>
internal static class BookPlots
{
    /// <summary>Perplexity of every scored section in book order, as a bar chart.</summary>
    public static void Perplexity(string path, string book, IReadOnlyList<SectionRange> sections)
    {
        var plot = new ScottPlot.Plot();
        var scored = sections.Where(s => s.Perplexity is not null).ToList();
        var bars = plot.Add.Bars(scored.Select(s => (double)s.Index).ToArray(), scored.Select(s => s.Perplexity!.Value).ToArray());
        bars.Color = ScottPlot.Colors.SteelBlue;
        plot.Title($"{book}: perplexity by section");
        plot.XLabel("section (book order)");
        plot.YLabel("perplexity (e^loss)");
        plot.Axes.Margins(bottom: 0);
        plot.SavePng(path, 1000, 500);
    }

    /// <summary>
    /// The cosine similarity of every pair of chapter vectors, each minus the book's mean chapter
    /// vector, as a heatmap with a colour bar. Uncentred, mean-pooled states share one dominant
    /// direction and every pair scores about 0.9; centred, the chapters that differ stand out.
    /// </summary>
    /// <param name="path">The PNG to write.</param>
    /// <param name="book">The book's name, for the title.</param>
    /// <param name="means">(sections, d) row-major chapter vectors.</param>
    /// <param name="modelDim">d.</param>
    public static void Similarity(string path, string book, float[] means, int modelDim)
    {
        var matrix = CosineSimilarity(Centered(means, modelDim), modelDim);
        var plot = new ScottPlot.Plot();
        var heatmap = plot.Add.Heatmap(matrix);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        // Row i at y = i, as the axis labels say (heatmaps draw their first row at the top).
        heatmap.FlipVertically = true;
        plot.Add.ColorBar(heatmap);
        plot.Title($"{book}: cosine similarity of chapter vectors (centred)");
        plot.XLabel("section");
        plot.YLabel("section");
        plot.SavePng(path, 800, 700);
    }

    /// <summary>Each row minus the mean row.</summary>
    public static float[] Centered(float[] rows, int width)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var count = rows.Length / width;
        var mean = new double[width];
        for (var i = 0; i < count; i++)
        {
            for (var k = 0; k < width; k++) mean[k] += rows[(i * width) + k];
        }
        var centered = new float[rows.Length];
        for (var i = 0; i < count; i++)
        {
            for (var k = 0; k < width; k++) centered[(i * width) + k] = (float)(rows[(i * width) + k] - (mean[k] / count));
        }
        return centered;
    }

    /// <summary>(sections × sections) cosine similarities; a zero vector is similar to nothing (0).</summary>
    public static double[,] CosineSimilarity(float[] means, int modelDim)
    {
        ArgumentNullException.ThrowIfNull(means);
        ArgumentOutOfRangeException.ThrowIfLessThan(modelDim, 1);
        var count = means.Length / modelDim;
        var norms = new double[count];
        for (var i = 0; i < count; i++)
        {
            var row = means.AsSpan(i * modelDim, modelDim);
            var sum = 0.0;
            foreach (var x in row) sum += (double)x * x;
            norms[i] = Math.Sqrt(sum);
        }
        var result = new double[count, count];
        for (var i = 0; i < count; i++)
        {
            for (var j = i; j < count; j++)
            {
                var dot = 0.0;
                for (var k = 0; k < modelDim; k++) dot += (double)means[(i * modelDim) + k] * means[(j * modelDim) + k];
                var cosine = norms[i] > 0 && norms[j] > 0 ? dot / (norms[i] * norms[j]) : 0;
                result[i, j] = result[j, i] = cosine;
            }
        }
        return result;
    }
}
