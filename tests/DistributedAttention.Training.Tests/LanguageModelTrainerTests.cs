using DistributedAttention.Contracts;
using DistributedAttention.Model;
using DistributedAttention.Model.Tests;
using static TorchSharp.torch;

namespace DistributedAttention.Training.Tests;

/// <summary>
/// The trainer learns, writes its files, and a run stopped and resumed from its checkpoint ends
/// bit-identical to one that never stopped.
/// </summary>
public sealed class LanguageModelTrainerTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]   // routing: the learned centroids resume with the weights
    public void A_run_stopped_and_resumed_from_its_checkpoint_ends_bit_identical_to_an_unbroken_one(bool routing)
    {
        using var temp = new TempDir();
        var splits = Splits(temp);
        var model = TrainingFixtures.TinyModel(splits.Vocab, layers: 2, attention: routing ? new AttentionSpec { Kind = AttentionKind.Routing, Clusters = 3, Causal = true } : null);
        var options = TrainingFixtures.ShortRun(steps: 7);

        TrainingSummary unbroken;
        using (var trainer = LanguageModelTrainer.Start(temp.File("unbroken"), model, options, splits.Books))
        {
            unbroken = trainer.Run();
        }

        using (var cancel = new CancellationTokenSource())
        using (var trainer = LanguageModelTrainer.Start(temp.File("stopped"), model, options, splits.Books))
        {
            var progress = new Inline(p =>
            {
                if (p.Record.Step == 4) cancel.Cancel();
            });
            Assert.Throws<OperationCanceledException>(() => trainer.Run(progress, cancel.Token));
            Assert.Equal(4, trainer.Step);
        }
        var state = TrainingCheckpoint.ReadState(Path.Combine(temp.File("stopped"), LanguageModelTrainer.CheckpointFolder));
        Assert.Equal(4, state.Step);
        // A crash after the checkpoint leaves rows the resume must drop.
        File.AppendAllText(Path.Combine(temp.File("stopped"), LanguageModelTrainer.LossCsv), "5,999,0.1,1,1,,1,1\n");

        TrainingSummary resumed;
        using (var trainer = LanguageModelTrainer.Resume(temp.File("stopped"), state, splits.Books))
        {
            Assert.Equal(4, trainer.Step);
            resumed = trainer.Run();
        }

        using var a = TransformerModel.Load(Path.Combine(temp.File("unbroken"), LanguageModelTrainer.WeightsFile));
        using var b = TransformerModel.Load(Path.Combine(temp.File("stopped"), LanguageModelTrainer.WeightsFile));
        var bWeights = b.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, weight) in a.named_parameters())
        {
            Assert.True(weight.equal(bWeights[name]).all().item<bool>(), $"{name} differs after the resume");
        }
        var logA = LossLog.Read(Path.Combine(temp.File("unbroken"), LanguageModelTrainer.LossCsv));
        var logB = LossLog.Read(Path.Combine(temp.File("stopped"), LanguageModelTrainer.LossCsv));
        Assert.Equal(Enumerable.Range(1, 7), logB.Select(r => r.Step));
        Assert.Equal(logA.Select(r => (r.Step, r.Tokens, r.LearningRate, r.TrainLoss, r.GradientNorm, r.HeldOutLoss)), logB.Select(r => (r.Step, r.Tokens, r.LearningRate, r.TrainLoss, r.GradientNorm, r.HeldOutLoss)));
        Assert.Equal(unbroken.HeldOut.Loss, resumed.HeldOut.Loss);
        Assert.Equal(unbroken.TokensSeen, resumed.TokensSeen);
        Assert.Equal(a.CurrentOptions, b.CurrentOptions);
        if (routing)
        {
            // Training moved the centroids away from the seeded ones, and the saved options carry them.
            Assert.All(a.CurrentOptions.LayerAttention, s => Assert.Equal(3 * 8, s.Centroids.Count));
            Assert.NotEqual(model, a.CurrentOptions);
        }
    }

    [Fact]
    public void Training_beats_the_unigram_baseline_on_held_out_sections_and_writes_every_file()
    {
        using var temp = new TempDir();
        var splits = Splits(temp);
        var options = TrainingFixtures.ShortRun(steps: 60) with { EvalEvery = 20, CheckpointEvery = 30, BatchSize = 4, SequenceLength = 32 };
        var reports = new List<TrainingProgress>();
        TrainingSummary summary;
        using (var trainer = LanguageModelTrainer.Start(temp.File("run"), TrainingFixtures.TinyModel(splits.Vocab), options, splits.Books))
        {
            summary = trainer.Run(new Inline(reports.Add));
        }

        // A model that learned the sentences predicts held-out chapters far better than token frequencies do.
        Assert.True(summary.HeldOut.Loss < summary.Unigram.Loss - 1.0, $"held-out {summary.HeldOut.Loss:F3} against unigram {summary.Unigram.Loss:F3}");
        Assert.Equal(summary.Unigram.Tokens, summary.HeldOut.Tokens);
        Assert.Equal(splits.Books.Sum(b => b.HeldOut.Count), summary.HeldOut.Sections.Count);
        Assert.Equal(60, summary.Steps);
        Assert.Equal(60L * 4 * 32, summary.TokensSeen);

        var log = LossLog.Read(Path.Combine(temp.File("run"), LanguageModelTrainer.LossCsv));
        Assert.Equal(60, log.Count);
        Assert.Equal([20, 40, 60], log.Where(r => r.HeldOutLoss is not null).Select(r => r.Step));
        // The curve scores a fixed sample (256 tokens here); the summary every held-out token.
        Assert.True(summary.HeldOut.Tokens > 256, $"the final evaluation scored only {summary.HeldOut.Tokens} tokens");
        Assert.True(log.Skip(50).Average(r => r.TrainLoss) < log.Take(5).Average(r => r.TrainLoss) - 2);
        Assert.Contains(reports, r => r.Phase == "evaluating");
        Assert.Equal(60, reports[^1].Record.Step);

        var png = File.ReadAllBytes(Path.Combine(temp.File("run"), LanguageModelTrainer.LossPng));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.Contains("\"HeldOut\"", File.ReadAllText(Path.Combine(temp.File("run"), LanguageModelTrainer.SummaryJson)), StringComparison.Ordinal);
        // The checkpoint is the last step's, and its weights are the final ones.
        Assert.Equal(60, TrainingCheckpoint.ReadState(Path.Combine(temp.File("run"), LanguageModelTrainer.CheckpointFolder)).Step);
        using var final = TransformerModel.Load(Path.Combine(temp.File("run"), LanguageModelTrainer.WeightsFile));
        using var checkpoint = TransformerModel.Load(Path.Combine(temp.File("run"), LanguageModelTrainer.CheckpointFolder, TrainingCheckpoint.WeightsFile));
        using var e1 = final.TiedHeadWeight;
        using var e2 = checkpoint.TiedHeadWeight;
        Assert.True(e1.equal(e2).all().item<bool>());
    }

    public static TheoryData<string> CausalMechanisms => ["full", "window", "bigbird", "performer", "xl", "compressive", "luna", "routing"];

    [Theory]
    [MemberData(nameof(CausalMechanisms))]
    public void Every_causal_mechanism_trains_and_its_loss_falls(string mechanism)
    {
        AttentionSpec attention = mechanism switch
        {
            "full" => new() { Kind = AttentionKind.Full, WindowLeft = null, WindowRight = null, Causal = true },
            "window" => new() { Kind = AttentionKind.Window, WindowLeft = 8, WindowRight = 0, Causal = true },
            "bigbird" => new() { Kind = AttentionKind.BigBird, WindowLeft = 4, WindowRight = 0, BlockSize = 4, RandomBlocks = 1, Causal = true, GlobalPositions = [0] },
            "performer" => new() { Kind = AttentionKind.Performer, Features = 16, Causal = true },
            "xl" => new() { Kind = AttentionKind.TransformerXl, SegmentLength = 8, MemoryLength = 8, Causal = true },
            "compressive" => new() { Kind = AttentionKind.Compressive, SegmentLength = 8, MemoryLength = 8, CompressionRate = 4, CompressedLength = 4, Causal = true },
            "luna" => new() { Kind = AttentionKind.Luna, PackedLength = 8, Causal = true },
            _ => new() { Kind = AttentionKind.Routing, Clusters = 4, Causal = true },
        };
        using var temp = new TempDir();
        var splits = Splits(temp);
        var options = TrainingFixtures.ShortRun(steps: 30) with { EvalEvery = 30, BatchSize = 4, SequenceLength = 32 };
        TrainingSummary summary;
        using (var trainer = LanguageModelTrainer.Start(temp.File("run"), TrainingFixtures.TinyModel(splits.Vocab, attention: attention), options, splits.Books))
        {
            summary = trainer.Run(null);
        }
        var log = LossLog.Read(Path.Combine(temp.File("run"), LanguageModelTrainer.LossCsv));
        Assert.All(log, r => Assert.True(double.IsFinite(r.TrainLoss), $"{mechanism}: step {r.Step} loss {r.TrainLoss}"));
        Assert.True(log.Skip(25).Average(r => r.TrainLoss) < log.Take(5).Average(r => r.TrainLoss) - 1,
            $"{mechanism}: the loss went from {log.Take(5).Average(r => r.TrainLoss):F3} to {log.Skip(25).Average(r => r.TrainLoss):F3}");
        Assert.True(double.IsFinite(summary.HeldOut.Loss), $"{mechanism}: held-out loss {summary.HeldOut.Loss}");
    }

    [Fact]
    public void A_resume_with_other_books_is_refused_naming_both()
    {
        using var temp = new TempDir();
        var splits = Splits(temp);
        using (var trainer = LanguageModelTrainer.Start(temp.File("run"), TrainingFixtures.TinyModel(splits.Vocab), TrainingFixtures.ShortRun(steps: 3) with { CheckpointEvery = 1 }, splits.Books))
        {
            trainer.Run();
        }
        var state = TrainingCheckpoint.ReadState(Path.Combine(temp.File("run"), LanguageModelTrainer.CheckpointFolder));
        var other = BookSplit.Of(TrainingFixtures.RepetitiveBook(temp.Path, "other.txt", chapters: 6, sentencesPerChapter: 30, seed: 99), 0.2);
        var e = Assert.Throws<InvalidDataException>(() => LanguageModelTrainer.Resume(temp.File("run"), state, [splits.Books[0], other]));
        Assert.Contains("the books differ", e.Message, StringComparison.Ordinal);
        Assert.Contains("second.txt", e.Message, StringComparison.Ordinal);
        Assert.Contains("other.txt", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reading_a_folder_without_a_checkpoint_names_the_missing_file()
    {
        using var temp = new TempDir();
        var e = Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.ReadState(temp.Path));
        Assert.Contains("model.safetensors is missing", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{}", "lacks its options, model or books")]
    [InlineData("{ not json", "training state is malformed")]
    public void A_damaged_state_file_is_refused_naming_the_file(string json, string message)
    {
        using var temp = new TempDir();
        foreach (var file in new[] { TrainingCheckpoint.WeightsFile, TrainingCheckpoint.OptimizerFile }) File.WriteAllBytes(Path.Combine(temp.Path, file), []);
        File.WriteAllText(Path.Combine(temp.Path, TrainingCheckpoint.StateFile), json);
        var e = Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.ReadState(temp.Path));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Contains(TrainingCheckpoint.StateFile, e.Message, StringComparison.Ordinal);
    }

    private static (List<BookSplit> Books, int Vocab) Splits(TempDir temp)
    {
        var first = TrainingFixtures.RepetitiveBook(temp.Path, "first.txt", chapters: 8, sentencesPerChapter: 40, seed: 1);
        var second = TrainingFixtures.RepetitiveBook(temp.Path, "second.txt", chapters: 6, sentencesPerChapter: 30, seed: 2);
        return ([BookSplit.Of(first, 0.2), BookSplit.Of(second, 0.2)], first.VocabSize);
    }

    private sealed class Inline(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
