namespace DistributedAttention.Training;

/// <summary>
/// The loss curve as a PNG: training loss per step, the held-out sample's loss where evaluated,
/// the final loss on every held-out token, and the unigram bar.
/// </summary>
public static class LossCurvePlot
{
    /// <summary>Draws <paramref name="records"/> to <paramref name="path"/>.</summary>
    /// <param name="records">The log's rows.</param>
    /// <param name="unigramLoss">The unigram baseline's held-out loss, drawn as a horizontal line; null leaves it out.</param>
    /// <param name="path">The PNG to write.</param>
    /// <param name="final">The step and loss of the evaluation on every held-out token, once the run has ended.</param>
    public static void Save(IReadOnlyList<LossRecord> records, double? unigramLoss, string path, (int Step, double Loss)? final = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        var plot = new ScottPlot.Plot();
        if (records.Count > 0)
        {
            var train = plot.Add.ScatterLine(records.Select(r => (double)r.Step).ToArray(), records.Select(r => r.TrainLoss).ToArray());
            train.LegendText = "training batch";
            var evaluated = records.Where(r => r.HeldOutLoss is not null).ToList();
            if (evaluated.Count > 0)
            {
                var heldOut = plot.Add.Scatter(evaluated.Select(r => (double)r.Step).ToArray(), evaluated.Select(r => r.HeldOutLoss!.Value).ToArray());
                heldOut.LegendText = "held-out sample";
                heldOut.MarkerSize = 7;
                heldOut.LineWidth = 2;
            }
        }
        if (final is { } end && double.IsFinite(end.Loss))
        {
            var all = plot.Add.Marker(end.Step, end.Loss, ScottPlot.MarkerShape.FilledDiamond, 12);
            all.LegendText = $"all held-out tokens ({end.Loss:F2})";
        }
        if (unigramLoss is { } unigram && double.IsFinite(unigram))
        {
            var line = plot.Add.HorizontalLine(unigram);
            line.LegendText = $"unigram baseline ({unigram:F2})";
            line.LinePattern = ScottPlot.LinePattern.Dashed;
        }
        plot.Title("Next-token cross-entropy");
        plot.XLabel("optimiser step");
        plot.YLabel("nats per token");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.SavePng(path, 900, 540);
    }
}
