using DistributedAttention.Contracts;
using DistributedAttention.Training;

namespace DistributedAttention.Experiments;

/// <summary>One mechanism trained as a causal language model with the preset's budget.</summary>
/// <param name="HeldOutLoss">Nats per held-out token, or null with <paramref name="NotApplicable"/>.</param>
/// <param name="Parameters">Trained parameters.</param>
/// <param name="TrainingSeconds">Wall time of the training steps and evaluations.</param>
/// <param name="NotApplicable">Why there is no figure, or null.</param>
/// <param name="Reused">The figure comes from a finished run found in the run's folder.</param>
public sealed record LanguageModelResult(double? HeldOutLoss, long Parameters, double TrainingSeconds, string? NotApplicable = null, bool Reused = false)
{
    /// <summary>exp(loss).</summary>
    public double? Perplexity => HeldOutLoss is { } loss ? Math.Exp(loss) : null;

    /// <summary>
    /// Trains <paramref name="mechanism"/> (every layer) on <paramref name="splits"/> into <paramref name="folder"/>
    /// (its loss curve and checkpoint stay there), then scores every held-out token. A finished run
    /// already in the folder with the same model, training options and books is reused, not retrained:
    /// a long preset stopped part-way continues where it stopped.
    /// </summary>
    /// <param name="mechanism">The row.</param>
    /// <param name="preset">The model and budget.</param>
    /// <param name="splits">The books.</param>
    /// <param name="vocabSize">Their vocabulary.</param>
    /// <param name="unigram">The unigram baseline on the held-out sections: a finished run whose baseline differs trained on other books.</param>
    /// <param name="folder">The run's folder.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    public static LanguageModelResult Train(MechanismEntry mechanism, ExperimentPreset preset, IReadOnlyList<BookSplit> splits, int vocabSize, HeldOutLoss unigram, string folder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unigram);
        ArgumentNullException.ThrowIfNull(mechanism);
        ArgumentNullException.ThrowIfNull(preset);
        if (!mechanism.Causal) return new LanguageModelResult(null, 0, 0, $"no causal form: {mechanism.NoCausalForm}");
        var options = new TransformerOptions
        {
            VocabSize = vocabSize,
            ModelDim = preset.ModelDim,
            Heads = preset.Heads,
            Layers = preset.Layers,
            FeedForwardDim = preset.FeedForwardDim,
            Seed = 1,
            LayerAttention = TransformerOptions.Uniform(mechanism.For(preset.Training.SequenceLength, preset.Window), preset.Layers),
        };
        if (Finished(folder, options, preset.Training, unigram) is { } done)
        {
            return new LanguageModelResult(done.HeldOut.Loss, done.Parameters, done.ElapsedSeconds, Reused: true);
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var trainer = LanguageModelTrainer.Start(folder, options, preset.Training, splits);
        var summary = trainer.Run(null, cancellationToken);
        return new LanguageModelResult(summary.HeldOut.Loss, trainer.Parameters, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The summary of a finished run in <paramref name="folder"/> made with these settings on these books, or null.</summary>
    private static TrainingSummary? Finished(string folder, TransformerOptions options, TrainingOptions training, HeldOutLoss unigram)
    {
        var path = Path.Combine(folder, LanguageModelTrainer.SummaryJson);
        if (!File.Exists(path) || !File.Exists(Path.Combine(folder, LanguageModelTrainer.WeightsFile))) return null;
        try
        {
            var summary = TrainingSummary.FromJson(File.ReadAllText(path));
            var same = summary.Model == options.ToJson() && summary.Training == training && summary.Steps == training.Steps
                && summary.Unigram.Tokens == unigram.Tokens && Math.Abs(summary.Unigram.Loss - unigram.Loss) < 1e-9;
            return same ? summary : null;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }
}
