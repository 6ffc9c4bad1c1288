using static TorchSharp.torch;

namespace DistributedAttention.Training.Tasks;

/// <summary>The result of training a classifier on a generated task.</summary>
/// <param name="Steps">Optimiser steps taken.</param>
/// <param name="FinalLoss">Mean training cross-entropy over the last steps (up to 20), in nats.</param>
/// <param name="Seconds">Wall time of the steps.</param>
public sealed record ClassifierTrainingResult(int Steps, double FinalLoss, double Seconds);

/// <summary>
/// Trains a <see cref="SequenceClassifier"/> on freshly generated examples (batch of step s drawn from
/// the seed and s, so the data are a function of the step) with the language model's optimiser
/// and schedule: AdamW, warm-up and cosine decay, clipping; and scores accuracy on a fixed set.
/// </summary>
/// <remarks>
/// Of <see cref="TrainingOptions"/> it reads the budget and optimiser settings (steps, batch size,
/// learning rate and schedule, weight decay, betas, clipping, data seed); the sequence length is the task's.
/// </remarks>
public static class ClassifierTraining
{
    private const int FinalLossWindow = 20;

    /// <summary>Trains <paramref name="classifier"/> in place.</summary>
    /// <param name="classifier">The classifier (left in evaluation mode without gradients).</param>
    /// <param name="task">Where the examples come from.</param>
    /// <param name="options">The budget and optimiser.</param>
    /// <param name="progress">Told the step and its loss after every step.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite.</exception>
    public static ClassifierTrainingResult Train(SequenceClassifier classifier, IClassificationTask task, TrainingOptions options, IProgress<(int Step, double Loss)>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (task.VocabSize > classifier.Model.Options.VocabSize) throw new ArgumentException($"the task's {task.VocabSize} token ids do not fit the model's vocabulary of {classifier.Model.Options.VocabSize}.", nameof(task));
        if (task.Classes != classifier.Classes) throw new ArgumentException($"the task has {task.Classes} classes, the classifier {classifier.Classes}.", nameof(task));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var parameters = classifier.parameters().ToList();
        using var optimizer = DecoupledAdamW.Create(parameters, options);
        var losses = new List<double>();
        classifier.RequireGradients();
        classifier.train();
        try
        {
            for (var step = 1; step <= options.Steps; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var learningRate = LearningRateSchedule.At(options, step);
                foreach (var group in optimizer.ParamGroups) group.LearningRate = learningRate;
                var examples = Examples(task, options.BatchSize, Seed(options.DataSeed, step));
                double loss;
                using (NewDisposeScope())
                {
                    var (tokens, labels) = ClassificationBatch.Of(examples, task.PadToken);
                    optimizer.zero_grad();
                    var output = nn.functional.cross_entropy(classifier.forward(tokens), labels);
                    output.backward();
                    nn.utils.clip_grad_norm_(parameters, options.ClipNorm > 0 ? options.ClipNorm : double.PositiveInfinity);
                    optimizer.step();
                    loss = output.item<float>();
                }
                if (!double.IsFinite(loss)) throw new TrainingDivergedException(step, loss, learningRate);
                losses.Add(loss);
                progress?.Report((step, loss));
            }
        }
        finally
        {
            classifier.RequireGradients(false);
            classifier.eval();
        }
        var tail = losses.TakeLast(FinalLossWindow).ToList();
        return new ClassifierTrainingResult(options.Steps, tail.Count > 0 ? tail.Average() : double.NaN, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The fraction of <paramref name="examples"/> whose class the classifier names (its top logit).</summary>
    /// <param name="classifier">The classifier.</param>
    /// <param name="examples">The examples.</param>
    /// <param name="padToken">The task's padding id.</param>
    /// <param name="batchSize">Examples per forward.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public static double Accuracy(SequenceClassifier classifier, IReadOnlyList<ClassificationExample> examples, int padToken, int batchSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (examples.Count == 0) throw new ArgumentException("no examples to score.", nameof(examples));
        classifier.eval();
        using var noGrad = no_grad();
        var correct = 0L;
        for (var start = 0; start < examples.Count; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var batch = examples.Skip(start).Take(batchSize).ToList();
            var (tokens, labels) = ClassificationBatch.Of(batch, padToken);
            correct += classifier.forward(tokens).argmax(1).eq(labels).sum().item<long>();
        }
        return (double)correct / examples.Count;
    }

    /// <summary><paramref name="count"/> examples drawn from <paramref name="seed"/>: the same seed, the same examples.</summary>
    public static IReadOnlyList<ClassificationExample> Examples(IClassificationTask task, int count, int seed)
    {
        ArgumentNullException.ThrowIfNull(task);
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => task.Generate(random))];
    }

    /// <summary>Training batch seeds run from 1,000,003 · dataSeed + 1 up: an evaluation set drawn from a small seed never meets one.</summary>
    private static int Seed(ulong dataSeed, int step) => (int)((dataSeed * 1_000_003UL + (ulong)step) % int.MaxValue);
}
