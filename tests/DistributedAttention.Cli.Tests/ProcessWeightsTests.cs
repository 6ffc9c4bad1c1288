using System.Text.Json;
using DistributedAttention.Contracts;
using DistributedAttention.Model;
using DistributedAttention.Model.Tests;
using DistributedAttention.Pipeline;
using DistributedAttention.Pipeline.Local;
using DistributedAttention.Testing.Processes;
using DistributedAttention.Text;
using DistributedAttention.Training;
using static TorchSharp.torch;

namespace DistributedAttention.Cli.Tests;

/// <summary>
/// <c>distattn process --weights</c>: the cluster runs a trained checkpoint (not weights seeded from
/// its options), equal to the checkpoint on one device, and scores every section with its head.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ProcessWeightsTests(ClusterFixture cluster)
{
    private const int Tokens = 700;

    private static string SampleBook => Path.Combine(Repo.Root, "samples", "books", "the-north-light.txt");

    [Fact]
    public async Task A_trained_checkpoint_runs_as_trained_and_every_section_gets_its_loss()
    {
        using var dir = new TempDir();
        var weights = TrainTiny(dir);
        var output = dir.File("out");
        var run = await CliHarness.RunAsync(cluster, "process", SampleBook, "--output", output, "--weights", weights, "--max-tokens", Tokens.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(run.ExitCode == ExitCodes.Ok, run.Error + run.Output);
        Assert.Contains("language model", run.Output, StringComparison.Ordinal);

        var book = BookReader.Read(SampleBook);
        var tokens = book.TokenIds[..Tokens];
        using var model = TransformerModel.Load(weights);
        var hiddenPath = Path.Combine(output, BookJobFiles.Hidden);
        // The checkpoint's weights on one device, not those its options would seed.
        Assert.True(SingleDeviceVerification.Run(model.Options, tokens, hiddenPath, weights).WithinTolerance, "the cluster's hidden states differ from the checkpoint on one device");
        Assert.False(SingleDeviceVerification.Run(model.Options, tokens, hiddenPath).WithinTolerance, "the cluster ran seeded weights, not the checkpoint's");

        // Each section's loss: cross-entropy of every token it holds, predicted from the one before.
        float[] perToken;
        using (var ids = tensor(tokens.Select(t => (long)t).ToArray(), [1, Tokens]))
        using (var hidden = model.forward(ids))
        using (var logits = model.TiedLogits(hidden).squeeze(0))
        using (var next = tensor(tokens[1..].Select(t => (long)t).ToArray()))
        using (var losses = nn.functional.cross_entropy(logits[..(Tokens - 1)], next, reduction: nn.Reduction.None))
        {
            perToken = losses.data<float>().ToArray();
        }
        using var chapters = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, BookJobFiles.Chapters)));
        var sections = chapters.RootElement.EnumerateArray().ToList();
        Assert.True(sections.Count >= 2, "the sample should have several sections in its first tokens");
        double total = 0;
        foreach (var section in sections)
        {
            var (start, end) = (section.GetProperty("token_start").GetInt32(), section.GetProperty("token_end").GetInt32());
            var scored = Enumerable.Range(Math.Max(start, 1), end - Math.Max(start, 1)).Select(t => (double)perToken[t - 1]).ToList();
            Assert.Equal(scored.Count, section.GetProperty("scored_tokens").GetInt64());
            Assert.Equal(scored.Average(), section.GetProperty("loss").GetDouble(), 3);
            Assert.Equal(Math.Exp(scored.Average()), section.GetProperty("perplexity").GetDouble(), Math.Exp(scored.Average()) * 1e-3);
            total += scored.Sum();
        }
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, BookJobFiles.Summary)));
        var lm = summary.RootElement.GetProperty("language_model");
        Assert.Equal(Tokens - 1, lm.GetProperty("scored_tokens").GetInt64());
        Assert.Equal(total / (Tokens - 1), lm.GetProperty("loss").GetDouble(), 3);
        Assert.Equal("model.safetensors", lm.GetProperty("weights").GetString());
        foreach (var plot in new[] { BookJobFiles.PerplexityPlot, BookJobFiles.SimilarityPlot })
        {
            var bytes = await File.ReadAllBytesAsync(Path.Combine(output, plot));
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        }
    }

    [Fact]
    public async Task Without_weights_there_is_no_loss_and_no_plot()
    {
        using var dir = new TempDir();
        var output = dir.File("out");
        var run = await CliHarness.RunAsync(cluster, "process", SampleBook, "--output", output, "--max-tokens", "300", "--model-dim", "16", "--heads", "2", "--layers", "1");
        Assert.True(run.ExitCode == ExitCodes.Ok, run.Error);
        var json = await File.ReadAllTextAsync(Path.Combine(output, BookJobFiles.Chapters));
        Assert.DoesNotContain("\"loss\"", json, StringComparison.Ordinal);
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, BookJobFiles.Summary)));
        Assert.Equal(JsonValueKind.Null, summary.RootElement.GetProperty("language_model").ValueKind);
        Assert.False(File.Exists(Path.Combine(output, BookJobFiles.PerplexityPlot)));
    }

    [Fact]
    public async Task Weights_that_are_missing_not_a_checkpoint_or_of_another_shape_or_vocabulary_are_refused()
    {
        using var dir = new TempDir();
        var weights = TrainTiny(dir);
        var notCheckpoint = dir.File("notes.safetensors");
        await File.WriteAllTextAsync(notCheckpoint, "not a checkpoint");
        var otherVocab = dir.File("vocab.safetensors");
        using (var small = new TransformerModel(TinyOptions(vocabSize: 1000))) small.Save(otherVocab);

        (string[] Args, string Message)[] cases =
        [
            (["--weights", dir.File("nope.safetensors")], "does not exist"),
            (["--weights", dir.Path], "is a folder"),
            (["--weights", notCheckpoint], "--weights:"),
            (["--weights", weights, "--layers", "3"], "--layers 3 does not match the weights"),
            (["--weights", weights, "--model-dim", "16"], "--model-dim 16 does not match the weights"),
            (["--weights", weights, "--mechanism", "full"], "drop --mechanism"),
            (["--weights", weights, "--model-seed", "4"], "drop --model-seed"),
            (["--weights", otherVocab], "vocabulary of 1,000 ids"),
        ];
        foreach (var (args, message) in cases)
        {
            var run = await CliHarness.RunAsync(cluster, ["process", SampleBook, "--output", dir.File("out"), .. args]);
            Assert.True(run.ExitCode == ExitCodes.Usage, $"{string.Join(' ', args)}: exit {run.ExitCode}, {run.Error}");
            Assert.Contains(message, run.Error, StringComparison.Ordinal);
        }
    }

    private static TransformerOptions TinyOptions(int vocabSize) => new()
    {
        VocabSize = vocabSize,
        ModelDim = 8,
        Heads = 2,
        Layers = 2,
        FeedForwardDim = 16,
        Seed = 5,
        LayerAttention = TransformerOptions.Uniform(new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 24, WindowRight = 0, Causal = true }, 2),
    };

    /// <summary>A few real training steps on the sample, so the weights differ from the seeded ones.</summary>
    private static string TrainTiny(TempDir dir)
    {
        var book = BookReader.Read(SampleBook);
        var options = new TrainingOptions { Steps = 3, BatchSize = 2, SequenceLength = 32, LearningRate = 1e-2, WarmupSteps = 0, EvalEvery = 0, CheckpointEvery = 0, HeldOutFraction = 0.2 };
        using (var trainer = LanguageModelTrainer.Start(dir.File("train"), TinyOptions(book.VocabSize), options, [BookSplit.Of(book, 0.2)]))
        {
            trainer.Run();
        }
        return Path.Combine(dir.File("train"), LanguageModelTrainer.WeightsFile);
    }
}
