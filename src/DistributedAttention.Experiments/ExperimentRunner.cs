using System.Runtime.InteropServices;
using DistributedAttention.Text;
using DistributedAttention.Training;
using DistributedAttention.Training.Tasks;

namespace DistributedAttention.Experiments;

/// <summary>Runs a preset: every mechanism trained as a language model, then on the two long-range tasks, then every mechanism's forward at every length.</summary>
public static class ExperimentRunner
{
    /// <summary>Runs the experiments and returns what they measured.</summary>
    /// <param name="preset">The preset.</param>
    /// <param name="books">The books (read and tokenised).</param>
    /// <param name="workFolder">Where each mechanism's training run is kept (loss curve, weights).</param>
    /// <param name="command">The command line, for the report.</param>
    /// <param name="progress">One line per step.</param>
    /// <param name="cluster">Where the cluster column is timed, or null for none.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <param name="mechanisms">The rows to measure, in order; null for every row of <see cref="MechanismCatalog.All"/>.</param>
    public static ExperimentResults Run(ExperimentPreset preset, IReadOnlyList<Book> books, string workFolder, string command, IProgress<string>? progress, IClusterForward? cluster, CancellationToken cancellationToken,
        IReadOnlyList<MechanismEntry>? mechanisms = null)
    {
        ArgumentNullException.ThrowIfNull(preset);
        var chosen = mechanisms ?? MechanismCatalog.All;
        if (chosen.Count == 0) throw new ArgumentException("no mechanisms to measure.", nameof(mechanisms));
        ArgumentNullException.ThrowIfNull(books);
        if (books.Count == 0) throw new ArgumentException("no books to train on.", nameof(books));
        var vocab = books.Select(b => b.VocabSize).Distinct().ToList();
        if (vocab.Count != 1) throw new ArgumentException($"the books were tokenised with different vocabularies ({string.Join(", ", vocab)}).", nameof(books));
        var started = DateTime.UtcNow;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var splits = books.Select(b => BookSplit.Of(b, preset.Training.HeldOutFraction)).ToList();
        var unigram = UnigramBaseline.Evaluate(splits, vocab[0]);
        var languageModels = new List<LanguageModelResult>();
        foreach (var mechanism in chosen)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report($"training {mechanism.Name}");
            var result = LanguageModelResult.Train(mechanism, preset, splits, vocab[0], unigram, Path.Combine(workFolder, Slug(mechanism.Name)), cancellationToken);
            progress?.Report(result.HeldOutLoss is { } loss
                ? $"  {mechanism.Name}: held-out {loss:F3} nats/token (perplexity {result.Perplexity:F1}) in {result.TrainingSeconds:F0} s{(result.Reused ? " (finished earlier, reused)" : "")}"
                : $"  {mechanism.Name}: n/a ({result.NotApplicable})");
            languageModels.Add(result);
        }
        var listOps = new ListOpsTask(preset.Tasks.ListOpsMinLength, preset.Tasks.ListOpsMaxLength);
        var retrieval = new RetrievalTask(preset.Tasks.RetrievalTrainingLength);
        var tasks = new List<(TaskResult ListOps, TaskResult Retrieval)>();
        foreach (var mechanism in chosen)
        {
            var folder = Path.Combine(workFolder, Slug(mechanism.Name));
            progress?.Report($"long-range tasks: {mechanism.Name}");
            cancellationToken.ThrowIfCancellationRequested();
            var l = TaskResult.Measure(mechanism, preset, listOps, preset.Tasks.ListOpsTraining, listOps.MaxLength, [(listOps.MaxLength, listOps)], folder, cancellationToken);
            progress?.Report($"  ListOps: {Accuracies(l)}");
            var r = TaskResult.Measure(mechanism, preset, retrieval, preset.Tasks.RetrievalTraining, retrieval.Length,
                [.. preset.Tasks.RetrievalLengths.Select(n => ((long)n, (IClassificationTask)(retrieval with { Length = n })))], folder, cancellationToken);
            progress?.Report($"  retrieval: {Accuracies(r)}");
            tasks.Add((l, r));
        }
        var rows = new List<MechanismResults>();
        var headDim = preset.ModelDim / preset.Heads;
        for (var m = 0; m < chosen.Count; m++)
        {
            var mechanism = chosen[m];
            var forward = new List<ForwardMeasurement>();
            var onCluster = new List<ForwardMeasurement>();
            foreach (var n in preset.Lengths)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var spec = mechanism.For(n, preset.Window);
                if (spec.Kind == Contracts.AttentionKind.Full && n > preset.FullAttentionLimit)
                {
                    var skipped = new ForwardMeasurement(n, null, null, $"O(n²): past the preset's limit of {preset.FullAttentionLimit:N0} tokens");
                    forward.Add(skipped);
                    if (cluster is not null) onCluster.Add(skipped);
                    continue;
                }
                var measured = ForwardMeasurement.Measure(spec, n, preset.Heads, headDim, preset.Repeats);
                progress?.Report($"  {mechanism.Name} forward at {n:N0} tokens: {measured.TokensPerSecond:N0} tokens/s");
                forward.Add(measured);
                if (cluster is null) continue;
                var distributed = cluster.Measure(spec, n, preset.Heads, headDim, preset.Repeats, cancellationToken);
                progress?.Report($"  {mechanism.Name} on {cluster.Description} at {n:N0} tokens: {distributed.TokensPerSecond:N0} tokens/s");
                onCluster.Add(distributed);
            }
            rows.Add(new MechanismResults(mechanism, languageModels[m], tasks[m].ListOps, tasks[m].Retrieval, forward, onCluster));
        }
        var bookRows = splits.Select(s => (Path.GetFileName(s.Book), (long)s.Train.Length, s.HeldOutTokens)).ToList();
        return new ExperimentResults(preset, command, bookRows, unigram.Loss, rows, started, clock.Elapsed.TotalSeconds, Machine(), cluster?.Description);
    }

    private static string Accuracies(TaskResult result) =>
        string.Join(", ", result.Accuracies.Select(a => $"{a.Percent ?? "n/a"} at {a.Length:N0}"))
        + $" (final training loss {result.FinalLoss:F3}, {result.TrainingSeconds:F0} s{(result.Reused ? ", finished earlier, reused" : "")})";

    /// <summary>A folder name for a mechanism.</summary>
    public static string Slug(string name) => string.Concat(name.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-')).Trim('-').Replace("--", "-", StringComparison.Ordinal);

    private static string Machine()
    {
        var cpu = TryRead("/proc/cpuinfo")?.Split('\n').FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        var memory = TryRead("/proc/meminfo")?.Split('\n').FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        var gib = memory is { } m && long.TryParse(m.Split(' ')[0], out var kb) ? $", {kb / 1024.0 / 1024:F0} GiB" : "";
        return $"{Environment.ProcessorCount} cores ({cpu}){gib}, {RuntimeInformation.OSDescription}, one CPU device";
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
