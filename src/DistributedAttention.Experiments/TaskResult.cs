using System.Text.Json;
using DistributedAttention.Contracts;
using DistributedAttention.Training;
using DistributedAttention.Training.Tasks;

namespace DistributedAttention.Experiments;

/// <summary>Accuracy at one length, or why it was not measured.</summary>
/// <param name="Length">Tokens per example (the longest, for ListOps).</param>
/// <param name="Accuracy">Fraction of held-out examples classified right, or null.</param>
/// <param name="Skipped">Why it was not measured, or null.</param>
public sealed record TaskAccuracy(long Length, double? Accuracy, string? Skipped = null)
{
    /// <summary>The accuracy as the report and the progress lines write it ("90 %"), or null when skipped.</summary>
    public string? Percent => Accuracy is { } x ? $"{(100 * x).ToString("F0", System.Globalization.CultureInfo.InvariantCulture)} %" : null;
}

/// <summary>A mechanism trained on one generated task and scored on held-out examples.</summary>
/// <param name="Task">The task's name.</param>
/// <param name="Accuracies">Accuracy by evaluation length.</param>
/// <param name="FinalLoss">Training cross-entropy at the end (chance is ln 10 = 2.303).</param>
/// <param name="TrainingSeconds">Wall time of the training.</param>
/// <param name="Reused">The figures come from a finished run found in the run's folder.</param>
public sealed record TaskResult(string Task, IReadOnlyList<TaskAccuracy> Accuracies, double FinalLoss, double TrainingSeconds, bool Reused = false)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>
    /// Trains <paramref name="mechanism"/> (every layer) on <paramref name="training"/> and scores it on
    /// each task of <paramref name="evaluations"/> with the attention set for that length (routing keeps
    /// its trained clusters). Full attention past the preset's limit is not scored. A finished run with
    /// the same settings in <paramref name="folder"/> is reused.
    /// </summary>
    public static TaskResult Measure(MechanismEntry mechanism, ExperimentPreset preset, IClassificationTask training, TrainingOptions budget, int trainingLength,
        IReadOnlyList<(long Length, IClassificationTask Task)> evaluations, string folder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mechanism);
        ArgumentNullException.ThrowIfNull(preset);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(evaluations);
        ArgumentNullException.ThrowIfNull(budget);
        var options = new TransformerOptions
        {
            VocabSize = training.VocabSize,
            ModelDim = preset.ModelDim,
            Heads = preset.Heads,
            Layers = preset.Layers,
            FeedForwardDim = preset.FeedForwardDim,
            Seed = 1,
            LayerAttention = TransformerOptions.Uniform(mechanism.For(trainingLength, preset.Window), preset.Layers),
        };
        // Only what this task's figures depend on, so changing the other task's budget reuses this one.
        var key = string.Join('\n', options.ToJson(), training.ToString(), JsonSerializer.Serialize(budget), string.Join(',', evaluations.Select(e => $"{e.Length}:{e.Task}")),
            $"{preset.Tasks.EvalExamples} held-out examples (seed {TaskPreset.EvalSeed}) in batches of {preset.Tasks.EvalBatchSize}", preset.FullAttentionLimit);
        var file = Path.Combine(folder, $"{training.Name.ToLowerInvariant()}.json");
        if (Read(file, key) is { } done) return done with { Reused = true };

        using var classifier = new SequenceClassifier(options, training.Classes);
        var trained = ClassifierTraining.Train(classifier, training, budget, null, cancellationToken);
        var accuracies = new List<TaskAccuracy>();
        foreach (var (length, task) in evaluations)
        {
            if (mechanism.For(length, preset.Window).Kind == AttentionKind.Full && length > preset.FullAttentionLimit)
            {
                accuracies.Add(new TaskAccuracy(length, null, $"O(n²): past the preset's limit of {preset.FullAttentionLimit:N0} tokens"));
                continue;
            }
            using var sized = classifier.WithAttention(current => current.Kind == AttentionKind.Routing ? current : mechanism.For(length, preset.Window));
            var examples = ClassifierTraining.Examples(task, preset.Tasks.EvalExamples, TaskPreset.EvalSeed);
            accuracies.Add(new TaskAccuracy(length, ClassifierTraining.Accuracy(sized, examples, task.PadToken, preset.Tasks.EvalBatchSize, cancellationToken)));
        }
        var result = new TaskResult(training.Name, accuracies, trained.FinalLoss, trained.Seconds);
        Directory.CreateDirectory(folder);
        File.WriteAllText(file, JsonSerializer.Serialize(new Saved(key, result), Json));
        return result;
    }

    private static TaskResult? Read(string file, string key)
    {
        if (!File.Exists(file)) return null;
        try
        {
            var saved = JsonSerializer.Deserialize<Saved>(File.ReadAllText(file), Json);
            return saved?.Key == key ? saved.Result : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record Saved(string Key, TaskResult Result);
}
