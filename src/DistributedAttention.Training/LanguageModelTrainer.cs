using System.Diagnostics;
using DistributedAttention.Contracts;
using DistributedAttention.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DistributedAttention.Training;

/// <summary>
/// Trains a <see cref="TransformerModel"/> as a causal language model on one device and writes
/// everything into one output folder: <c>loss.csv</c> and <c>loss.png</c> as it goes,
/// <c>checkpoint/</c> every <see cref="TrainingOptions.CheckpointEvery"/> steps and when stopped,
/// and at the end <c>model.safetensors</c> and <c>summary.json</c>.
/// </summary>
/// <remarks>
/// Everything a step depends on is a function of the step or lives in the checkpoint (weights,
/// AdamW moments and step counts); the batch and learning rate are recomputed from the step. So a
/// run stopped and resumed from a checkpoint takes bit-identical steps to one that never stopped.
/// Synchronous by design: no await may fall between a forward and its backward.
/// </remarks>
public sealed class LanguageModelTrainer : IDisposable
{
    /// <summary>The checkpoint folder inside the output folder.</summary>
    public const string CheckpointFolder = "checkpoint";

    /// <summary>The loss log inside the output folder.</summary>
    public const string LossCsv = "loss.csv";

    /// <summary>The loss plot inside the output folder.</summary>
    public const string LossPng = "loss.png";

    /// <summary>The final weights inside the output folder (a <see cref="TransformerModel"/> checkpoint).</summary>
    public const string WeightsFile = "model.safetensors";

    /// <summary>The run's summary inside the output folder.</summary>
    public const string SummaryJson = "summary.json";

    private const int FinalLossWindow = 20;

    private readonly string output;
    private readonly TrainingOptions options;
    private readonly TransformerModel model;
    private readonly AdamW optimizer;
    private readonly BatchSampler sampler;
    private readonly IReadOnlyList<HeldOutSection> heldOutSections;
    private readonly IReadOnlyList<BookFingerprint> fingerprints;
    private int step;
    private long tokensSeen;
    private double elapsedBefore;

    private LanguageModelTrainer(string output, TransformerOptions modelOptions, TrainingOptions options, IReadOnlyList<BookSplit> splits)
    {
        ArgumentNullException.ThrowIfNull(modelOptions);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(splits);
        modelOptions.Validate();
        options.Validate();
        if (splits.Count == 0) throw new ArgumentException("no books to train on.", nameof(splits));
        this.output = Path.GetFullPath(output);
        this.options = options;
        heldOutSections = [.. splits.SelectMany(s => s.HeldOut)];
        fingerprints = [.. splits.Select(BookFingerprint.Of)];
        sampler = new BatchSampler(splits, options.BatchSize, options.SequenceLength, options.DataSeed);
        Unigram = UnigramBaseline.Evaluate(splits, modelOptions.VocabSize);
        model = new TransformerModel(modelOptions);
        model.RequireGradients();
        model.train();
        var parameters = model.parameters().ToList();
        optimizer = DecoupledAdamW.Create(parameters, options);
        Parameters = parameters.Sum(p => p.numel());
    }

    /// <summary>The model being trained.</summary>
    public TransformerModel Model => model;

    /// <summary>Steps taken so far (the checkpoint's step right after a resume).</summary>
    public int Step => step;

    /// <summary>Trainable parameters.</summary>
    public long Parameters { get; }

    /// <summary>The add-one unigram baseline on the held-out sections.</summary>
    public HeldOutLoss Unigram { get; }

    /// <summary>The run's options.</summary>
    public TrainingOptions Options => options;

    /// <summary>A new run writing into <paramref name="output"/> (created if missing).</summary>
    /// <exception cref="ArgumentException">The options are invalid or the books too short.</exception>
    public static LanguageModelTrainer Start(string output, TransformerOptions model, TrainingOptions options, IReadOnlyList<BookSplit> splits)
    {
        Directory.CreateDirectory(output);
        return new LanguageModelTrainer(output, model, options, splits);
    }

    /// <summary>Continues the run whose checkpoint <paramref name="state"/> was read from <paramref name="output"/>.</summary>
    /// <param name="output">The run's output folder.</param>
    /// <param name="state">Its checkpoint's state (<see cref="TrainingCheckpoint.ReadState"/>).</param>
    /// <param name="splits">The same books, split with the checkpoint's held-out fraction.</param>
    /// <exception cref="InvalidDataException">The books differ from the run's, or the checkpoint does not fit.</exception>
    public static LanguageModelTrainer Resume(string output, TrainingState state, IReadOnlyList<BookSplit> splits)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(splits);
        var given = splits.Select(BookFingerprint.Of).ToList();
        if (!given.SequenceEqual(state.Books))
        {
            throw new InvalidDataException(
                $"the books differ from those the run in '{output}' trained on: it had [{Describe(state.Books)}], given [{Describe(given)}]. Give the same files in the same order.");
        }
        TransformerOptions modelOptions;
        try
        {
            modelOptions = TransformerOptions.FromJson(state.ModelJson);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"the checkpoint in '{output}' has invalid model options: {e.Message}", e);
        }
        var trainer = new LanguageModelTrainer(output, modelOptions, state.Training, splits);
        try
        {
            TrainingCheckpoint.Restore(Path.Combine(output, CheckpointFolder), trainer.model, trainer.optimizer);
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
        trainer.step = state.Step;
        trainer.tokensSeen = state.TokensSeen;
        trainer.elapsedBefore = state.ElapsedSeconds;
        return trainer;

        static string Describe(IEnumerable<BookFingerprint> books) => string.Join(", ", books.Select(b => $"{b.Name} ({b.TrainTokens:N0} training tokens)"));
    }

    /// <summary>Trains up to <see cref="TrainingOptions.Steps"/>, evaluates, and writes the final files.</summary>
    /// <param name="progress">Told after every step.</param>
    /// <param name="cancellationToken">Stops after the current step with a checkpoint, then throws <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite.</exception>
    public TrainingSummary Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var checkpointFolder = Path.Combine(output, CheckpointFolder);
        var lossPath = Path.Combine(output, LossCsv);
        using var log = step == 0 ? LossLog.Create(lossPath) : LossLog.Resume(lossPath, step);
        var clock = Stopwatch.StartNew();
        var checkpointed = step;
        HeldOutLoss? finalHeldOut = null;
        var latestHeldOut = log.Records.LastOrDefault(r => r.HeldOutLoss is not null)?.HeldOutLoss;
        var parameters = model.parameters().ToList();

        while (step < options.Steps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                if (step > checkpointed) SaveCheckpoint(checkpointFolder, clock);
                LossCurvePlot.Save(log.Records, Unigram.Loss, Path.Combine(output, LossPng));
                cancellationToken.ThrowIfCancellationRequested();
            }
            var started = clock.Elapsed.TotalSeconds;
            var next = step + 1;
            var learningRate = LearningRateSchedule.At(options, next);
            foreach (var group in optimizer.ParamGroups) group.LearningRate = learningRate;
            var (loss, norm) = TrainStep(next, parameters);
            var stepSeconds = clock.Elapsed.TotalSeconds - started;
            if (!double.IsFinite(loss)) throw new TrainingDivergedException(next, loss, learningRate);
            step = next;
            tokensSeen += sampler.TokensPerBatch;

            var last = step == options.Steps;
            double? heldOut = null;
            if (last || (options.EvalEvery > 0 && step % options.EvalEvery == 0))
            {
                progress?.Report(new TrainingProgress(Row(loss, norm, null), options.Steps, latestHeldOut, "evaluating"));
                // The curve always scores the same fixed sample; the summary scores every held-out token once, at the end.
                heldOut = latestHeldOut = HeldOutEvaluator.Evaluate(model, heldOutSections, options.SequenceLength, options.EvalTokens).Loss;
                if (last) finalHeldOut = HeldOutEvaluator.Evaluate(model, heldOutSections, options.SequenceLength);
            }
            var record = Row(loss, norm, heldOut);
            log.Append(record);
            progress?.Report(new TrainingProgress(record, options.Steps, latestHeldOut, last ? "finishing" : "training"));
            if (last || (options.CheckpointEvery > 0 && step % options.CheckpointEvery == 0))
            {
                SaveCheckpoint(checkpointFolder, clock);
                checkpointed = step;
                LossCurvePlot.Save(log.Records, Unigram.Loss, Path.Combine(output, LossPng));
            }

            LossRecord Row(double l, double n, double? h) =>
                new(next, tokensSeen, learningRate, l, n, h, sampler.TokensPerBatch / Math.Max(1e-9, stepSeconds), elapsedBefore + clock.Elapsed.TotalSeconds);
        }

        // The last step evaluated every held-out token; a run resumed at its end evaluates here.
        var final = finalHeldOut ?? HeldOutEvaluator.Evaluate(model, heldOutSections, options.SequenceLength);
        model.Save(Path.Combine(output, WeightsFile));
        LossCurvePlot.Save(log.Records, Unigram.Loss, Path.Combine(output, LossPng), (step, final.Loss));
        var tail = log.Records.TakeLast(FinalLossWindow).ToList();
        var summary = new TrainingSummary(
            step, tokensSeen, elapsedBefore + clock.Elapsed.TotalSeconds, Parameters,
            tail.Count > 0 ? tail.Average(r => r.TrainLoss) : double.NaN, final, Unigram, model.Options.ToJson(), options);
        File.WriteAllText(Path.Combine(output, SummaryJson), summary.ToJson());
        return summary;
    }

    private (double Loss, double Norm) TrainStep(int at, IReadOnlyList<Parameter> parameters)
    {
        using var scope = NewDisposeScope();
        var (inputs, targets) = sampler.Batch(at);
        optimizer.zero_grad();
        var loss = LanguageModelLoss.Backward(model, inputs, targets);
        // The norm before clipping is logged either way; an infinite bound clips nothing.
        var norm = nn.utils.clip_grad_norm_(parameters, options.ClipNorm > 0 ? options.ClipNorm : double.PositiveInfinity);
        optimizer.step();
        return (loss, norm);
    }

    private void SaveCheckpoint(string folder, Stopwatch clock)
    {
        var state = new TrainingState(step, tokensSeen, elapsedBefore + clock.Elapsed.TotalSeconds, options, model.Options.ToJson(), fingerprints);
        TrainingCheckpoint.Save(folder, model, optimizer, state);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        optimizer.Dispose();
        model.Dispose();
    }
}
