using DistributedAttention.Contracts;
using DistributedAttention.Training;

namespace DistributedAttention.Experiments;

/// <summary>One mechanism trained as a causal language model with the preset's budget.</summary>
/// <param name="HeldOutLoss">Nats per held-out token, or null with <paramref name="NotApplicable"/>.</param>
/// <param name="Parameters">Trained parameters.</param>
/// <param name="TrainingSeconds">Wall time of the training steps and evaluations.</param>
/// <param name="NotApplicable">Why there is no figure, or null.</param>
public sealed record LanguageModelResult(double? HeldOutLoss, long Parameters, double TrainingSeconds, string? NotApplicable = null)
{
    /// <summary>exp(loss).</summary>
    public double? Perplexity => HeldOutLoss is { } loss ? Math.Exp(loss) : null;

    /// <summary>
    /// Trains <paramref name="mechanism"/> (every layer) on <paramref name="splits"/> into <paramref name="folder"/>
    /// (its loss curve and checkpoint stay there), then scores every held-out token.
    /// </summary>
    public static LanguageModelResult Train(MechanismEntry mechanism, ExperimentPreset preset, IReadOnlyList<BookSplit> splits, int vocabSize, string folder, CancellationToken cancellationToken)
    {
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
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var trainer = LanguageModelTrainer.Start(folder, options, preset.Training, splits);
        var summary = trainer.Run(null, cancellationToken);
        return new LanguageModelResult(summary.HeldOut.Loss, trainer.Parameters, clock.Elapsed.TotalSeconds);
    }
}
