using System.Globalization;
using System.Text;

namespace DistributedAttention.Experiments;

/// <summary>The results as Markdown: how they were made, the table, and what is not measured yet.</summary>
public static class ResultsReport
{
    /// <summary>The plots' file names, in the report's folder.</summary>
    public const string PerplexityPlot = "results-perplexity-vs-speed.png";

    /// <summary>Forward tokens/s against length.</summary>
    public const string SpeedPlot = "results-speed-by-length.png";

    /// <summary>Retrieval accuracy against length.</summary>
    public const string AccuracyPlot = "results-accuracy-by-length.png";

    /// <summary>The whole report.</summary>
    public static string Markdown(ExperimentResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var p = results.Preset;
        var t = p.Training;
        var md = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        md.AppendLine("# Results: the survey's mechanisms, measured").AppendLine();
        md.AppendLine(c, $"Preset `{p.Name}` ({p.Description}), run {results.Started:yyyy-MM-dd} in {Duration(results.WallSeconds)} on {results.Machine}:").AppendLine();
        md.AppendLine("```bash").AppendLine(results.Command).AppendLine("```").AppendLine();
        md.Append(c, $"**Language modelling.** Every mechanism trains the same model ({p.Layers} layer(s), d_model {p.ModelDim}, {p.Heads} heads, FFN {p.FeedForwardDim}, every layer the mechanism, seed 1) with the same budget: {t.Steps:N0} steps of {t.BatchSize} × {t.SequenceLength} tokens, peak learning rate {t.LearningRate.ToString("G3", c)}, the same seeded batches. ");
        md.Append(c, $"Held out: the last sections of each book, never trained on ({string.Join("; ", results.Books.Select(b => $"{b.Name}: {b.TrainTokens:N0} training, {b.HeldOutTokens:N0} held-out tokens"))}); the figure is the loss on every held-out token. ");
        md.AppendLine(c, $"The add-one unigram baseline scores {results.UnigramLoss:F3} nats/token (perplexity {Math.Exp(results.UnigramLoss):F1}) on the same tokens.").AppendLine();
        var tasks = p.Tasks;
        md.Append(c, $"**Long-range tasks.** The same model with a classification head on the last position's hidden state, trained per task with one budget ({tasks.Describe()}) on freshly generated examples, and scored on held-out ones (chance: 10 %). ");
        md.Append(c, $"*ListOps* as the Long Range Arena specifies it (operators MAX, MIN, MED, SM over digits, depth ≤ 10, ≤ 10 arguments, {tasks.ListOpsMinLength:N0} to {tasks.ListOpsMaxLength:N0} tokens). ");
        md.Append(c, $"*Retrieval*: one of 10 values is stated after a KEY marker in the first eighth of the sequence, random filler follows, and the last token asks for it; trained at {tasks.RetrievalTrainingLength:N0} tokens and scored at each length with the attention set for that length (routing keeps its trained clusters), so the value is always out of a window's reach. ");
        md.AppendLine("A window alone cannot see the value; global tokens, memory reaching back far enough, or attention over the whole sequence can.").AppendLine();
        md.Append("| mechanism | held-out loss | perplexity | ListOps accuracy |");
        foreach (var n in tasks.RetrievalLengths) md.Append(c, $" retrieval at {Tokens(n)} |");
        md.AppendLine();
        md.Append("|---|---|---|---|");
        foreach (var _ in tasks.RetrievalLengths) md.Append("---|");
        md.AppendLine();
        foreach (var row in results.Rows)
        {
            var lm = row.LanguageModel;
            md.Append(c, $"| {row.Mechanism.Name} | ");
            md.Append(lm.HeldOutLoss is { } loss ? loss.ToString("F3", c) : $"n/a ({lm.NotApplicable})").Append(" | ");
            md.Append(lm.Perplexity is { } ppl ? ppl.ToString("F1", c) : "n/a").Append(" |");
            foreach (var a in row.ListOps.Accuracies.Concat(row.Retrieval.Accuracies)) md.Append(' ').Append(Accuracy(a)).Append(" |");
            md.AppendLine();
        }
        md.AppendLine();
        md.AppendLine(TaskLosses(results.Rows)).AppendLine();
        md.AppendLine(TrainingCost(results.Rows)).AppendLine();
        md.Append(c, $"**Forward speed and memory.** One forward of the attention alone over random q, k, v (batch 1, {p.Heads} heads, head dim {p.ModelDim / p.Heads}) on one device, the mechanism at the same settings as in training (causal where it has a causal form); tokens/s over the median of {p.Repeats} timed run(s) after one untimed. ");
        md.AppendLine("Memory is the process's resident high-water mark above the inputs: before each measurement garbage is collected and the freed native heap handed back to the system, so the mark grows with what the forward touches (allocator fragmentation aside).").AppendLine();
        SpeedTable(md, p.Lengths, results.Rows.Select(r => (r.Mechanism.Name, r.Forward)));
        if (results.Cluster is { } cluster)
        {
            md.AppendLine();
            md.AppendLine(c, $"**On {cluster}.** The same attention call as a job: q, k and v uploaded from the client, split into contiguous shards, computed with the ring collectives, and the output read back; tokens/s over the client's wall time of the whole job (median of {p.Repeats}), memory as above (the silos run in this process).").AppendLine();
            SpeedTable(md, p.Lengths, results.Rows.Select(r => (r.Mechanism.Name, r.ClusterForward)));
        }
        md.AppendLine();
        md.AppendLine(c, $"![held-out perplexity against forward speed]({PerplexityPlot})").AppendLine();
        md.AppendLine(c, $"![forward tokens/s against length]({SpeedPlot})").AppendLine();
        md.AppendLine(c, $"![retrieval accuracy against length]({AccuracyPlot})").AppendLine();
        md.AppendLine("The mechanisms' distributed results equal one device (the test suite checks each over 1, 2, 3 and 7 uneven shards), so the cluster table is a matter of speed, not of correctness.");
        return md.ToString();
    }

    private static void SpeedTable(StringBuilder md, IReadOnlyList<long> lengths, IEnumerable<(string Name, IReadOnlyList<ForwardMeasurement> Forward)> rows)
    {
        var c = CultureInfo.InvariantCulture;
        md.Append("| mechanism |");
        foreach (var n in lengths) md.Append(c, $" {Tokens(n)} tokens/s (peak MB) |");
        md.AppendLine();
        md.Append("|---|");
        foreach (var _ in lengths) md.Append("---|");
        md.AppendLine();
        foreach (var (name, forward) in rows)
        {
            md.Append(c, $"| {name} |");
            foreach (var f in forward)
            {
                md.Append(' ').Append(f.TokensPerSecond is { } tps
                    ? $"{tps.ToString("N0", c)} ({(f.PeakBytes is { } b ? (b / 1e6).ToString("F1", c) : "?")})"
                    : $"n/a ({f.Skipped})").Append(" |");
            }
            md.AppendLine();
        }
    }

    /// <summary>Each task's final training loss by mechanism: whether a model learned anything, beside how it scored.</summary>
    private static string TaskLosses(IReadOnlyList<MechanismResults> rows)
    {
        var c = CultureInfo.InvariantCulture;
        string Losses(Func<MechanismResults, TaskResult> task) => string.Join(", ", rows.Select(r => $"{r.Mechanism.Name} {task(r).FinalLoss.ToString("F3", c)}"));
        return $"Final training cross-entropy on the tasks (guessing uniformly scores ln 10 = {Math.Log(10).ToString("F3", c)}): ListOps: {Losses(r => r.ListOps)}; retrieval: {Losses(r => r.Retrieval)}.";
    }

    /// <summary>What the table's trainings cost, reused ones at the time they took when they ran.</summary>
    private static string TrainingCost(IReadOnlyList<MechanismResults> rows)
    {
        var languageModels = rows.Where(r => r.LanguageModel.HeldOutLoss is not null).Select(r => (r.LanguageModel.TrainingSeconds, r.LanguageModel.Reused)).ToList();
        var tasks = rows.SelectMany(r => new[] { r.ListOps, r.Retrieval }).Select(t => (t.TrainingSeconds, t.Reused)).ToList();
        var all = languageModels.Concat(tasks).ToList();
        var reused = all.Count(t => t.Reused);
        return $"Training took {Duration(all.Sum(t => t.TrainingSeconds))} in all: {languageModels.Count} language models {Duration(languageModels.Sum(t => t.TrainingSeconds))}, {tasks.Count} task trainings {Duration(tasks.Sum(t => t.TrainingSeconds))}"
            + (reused == 0 ? "." : $"; {reused} of the {all.Count} trainings were finished by earlier runs of the command (reused from runs/, timed when they ran, possibly beside other work), so the run time above is not the whole cost.");
    }

    private static string Accuracy(TaskAccuracy a) => a.Percent ?? $"n/a ({a.Skipped})";

    private static string Tokens(long n) => n >= 1024 && n % 1024 == 0 ? $"{n / 1024}K" : n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Duration(double seconds) => seconds < 120 ? $"{seconds:F0} s" : $"{Math.Floor(seconds / 60):F0} min {seconds % 60:F0} s";
}
