namespace DistributedAttention.Experiments;

/// <summary>The report's two plots: perplexity against forward speed, and forward speed against length.</summary>
public static class ResultsPlots
{
    /// <summary>Writes both plots into <paramref name="folder"/> under <see cref="ResultsReport"/>'s names.</summary>
    public static void Save(ExperimentResults results, string folder)
    {
        ArgumentNullException.ThrowIfNull(results);
        SavePerplexity(results, Path.Combine(folder, ResultsReport.PerplexityPlot));
        SaveSpeed(results, Path.Combine(folder, ResultsReport.SpeedPlot));
        SaveAccuracy(results, Path.Combine(folder, ResultsReport.AccuracyPlot));
    }

    private static void SavePerplexity(ExperimentResults results, string path)
    {
        // Speed at the longest length every row with a perplexity was measured at.
        var rows = results.Rows.Where(r => r.LanguageModel.Perplexity is not null).ToList();
        var length = results.Preset.Lengths.Where(n => rows.All(r => r.Forward.Any(f => f.Length == n && f.TokensPerSecond is not null))).DefaultIfEmpty(results.Preset.Lengths[0]).Max();
        var plot = new ScottPlot.Plot();
        foreach (var row in rows)
        {
            if (row.Forward.FirstOrDefault(f => f.Length == length)?.TokensPerSecond is not { } speed) continue;
            var point = plot.Add.Marker(speed, row.LanguageModel.Perplexity!.Value, ScottPlot.MarkerShape.FilledCircle, 9);
            point.LegendText = row.Mechanism.Name;
        }
        var unigram = plot.Add.HorizontalLine(Math.Exp(results.UnigramLoss));
        unigram.LegendText = "unigram baseline";
        unigram.LinePattern = ScottPlot.LinePattern.Dashed;
        plot.Title($"Held-out perplexity against forward speed at {length:N0} tokens ({results.Preset.Name} preset)");
        plot.XLabel("forward tokens/s (one device)");
        plot.YLabel("held-out perplexity");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.SavePng(path, 1000, 600);
    }

    private static void SaveSpeed(ExperimentResults results, string path)
    {
        var plot = new ScottPlot.Plot();
        foreach (var row in results.Rows)
        {
            var measured = row.Forward.Where(f => f.TokensPerSecond is not null).ToList();
            if (measured.Count == 0) continue;
            var line = plot.Add.ScatterLine(measured.Select(f => Math.Log2(f.Length)).ToArray(), measured.Select(f => Math.Log10(f.TokensPerSecond!.Value)).ToArray());
            line.LegendText = row.Mechanism.Name;
            line.MarkerSize = 6;
        }
        plot.Title($"Forward tokens/s by length, one device ({results.Preset.Name} preset)");
        plot.XLabel("log2 tokens");
        plot.YLabel("log10 tokens/s");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.SavePng(path, 1000, 600);
    }

    private static void SaveAccuracy(ExperimentResults results, string path)
    {
        var plot = new ScottPlot.Plot();
        foreach (var row in results.Rows)
        {
            var measured = row.Retrieval.Accuracies.Where(a => a.Accuracy is not null).ToList();
            if (measured.Count == 0) continue;
            var line = plot.Add.ScatterLine(measured.Select(a => Math.Log2(a.Length)).ToArray(), measured.Select(a => 100 * a.Accuracy!.Value).ToArray());
            line.LegendText = row.Mechanism.Name;
            line.MarkerSize = 6;
        }
        var chance = plot.Add.HorizontalLine(10);
        chance.LegendText = "chance";
        chance.LinePattern = ScottPlot.LinePattern.Dashed;
        plot.Title($"Retrieval accuracy by length, trained at {results.Preset.Tasks.RetrievalTrainingLength:N0} tokens ({results.Preset.Name} preset)");
        plot.XLabel("log2 tokens");
        plot.YLabel("held-out accuracy (%)");
        plot.Axes.SetLimitsY(0, 105);
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.SavePng(path, 1000, 600);
    }
}
