using DistributedAttention.Cli.Samples;
using DistributedAttention.Model;
using DistributedAttention.Model.Tests;
using DistributedAttention.Training;

namespace DistributedAttention.Cli.Tests;

/// <summary><c>distattn train</c>: a small run end to end, its resume, and every bad request refused with exit code 2.</summary>
public sealed class TrainCommandTests
{
    private static readonly string[] Tiny = ["--layers", "1", "--model-dim", "16", "--heads", "2", "--steps", "4", "--batch-size", "2", "--seq-len", "32", "--eval-every", "2", "--heldout-fraction", "0.2"];

    [Fact]
    public async Task A_small_run_writes_weights_a_loss_curve_and_a_summary_and_a_resume_of_it_only_reports()
    {
        using var temp = new TempDir();
        var books = SampleBooks(temp);
        var output = temp.File("run");
        var run = await CliHarness.RunAsync(null, ["train", "--books", .. books, "-o", output, .. Tiny]);

        Assert.True(run.ExitCode == 0, run.Error + run.Output);
        Assert.Contains("unigram baseline", run.Output, StringComparison.Ordinal);
        Assert.Contains("held-out loss", run.Output, StringComparison.Ordinal);
        Assert.Contains("step 4/4", run.Output, StringComparison.Ordinal);
        foreach (var file in new[] { "model.safetensors", "loss.csv", "loss.png", "summary.json", Path.Combine("checkpoint", "optimizer.bin") })
        {
            Assert.True(File.Exists(Path.Combine(output, file)), $"{file} is missing");
        }
        using (var model = TransformerModel.Load(Path.Combine(output, "model.safetensors")))
        {
            Assert.Equal(16, model.Options.ModelDim);
            Assert.True(model.Options.LayerAttention[0].Causal);
        }
        Assert.Equal(4, LossLog.Read(Path.Combine(output, "loss.csv")).Count);

        var again = await CliHarness.RunAsync(null, ["train", "--books", .. books, "-o", output]);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already holds a training run; pass --resume", again.Error, StringComparison.Ordinal);

        var resumed = await CliHarness.RunAsync(null, ["train", "--books", .. books, "-o", output, "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.Error + resumed.Output);
        Assert.Contains("Resuming at step 4/4", resumed.Output, StringComparison.Ordinal);
        Assert.Equal(4, LossLog.Read(Path.Combine(output, "loss.csv")).Count);
    }

    [Theory]
    [InlineData("--preset", "huge", "--preset 'huge' is not one of quick")]
    [InlineData("--steps", "0", "invalid training settings: steps must be >= 1")]
    [InlineData("--lr", "-1", "invalid training settings: learning rate must be a positive number")]
    [InlineData("--heads", "3", "model dim 16 is not divisible by heads 3")]
    [InlineData("--mechanism", "linformer", "linformer has no causal form")]
    [InlineData("--seq-len", "100000", "no book has more than 100,000 training tokens")]
    public async Task Bad_settings_are_refused_with_a_usage_error_naming_them(string flag, string value, string message)
    {
        using var temp = new TempDir();
        var books = SampleBooks(temp);
        var settings = new Dictionary<string, string> { ["--layers"] = "1", ["--model-dim"] = "16", ["--heads"] = "2", ["--steps"] = "2", [flag] = value };
        string[] args = ["train", "--books", .. books, "-o", temp.File("run"), .. settings.SelectMany(s => new[] { s.Key, s.Value })];
        var run = await CliHarness.RunAsync(null, args);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_books_a_missing_checkpoint_and_flags_beside_resume_are_refused()
    {
        using var temp = new TempDir();
        var missing = await CliHarness.RunAsync(null, "train", "--books", temp.File("nope.txt"), "-o", temp.File("run"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("nope.txt' does not exist", missing.Error, StringComparison.Ordinal);

        var books = SampleBooks(temp);
        var noCheckpoint = await CliHarness.RunAsync(null, ["train", "--books", .. books, "-o", temp.File("empty"), "--resume"]);
        Assert.Equal(2, noCheckpoint.ExitCode);
        Assert.Contains("no checkpoint to resume", noCheckpoint.Error, StringComparison.Ordinal);

        var flags = await CliHarness.RunAsync(null, ["train", "--books", .. books, "-o", temp.File("run"), "--resume", "--lr", "0.1"]);
        Assert.Equal(2, flags.ExitCode);
        Assert.Contains("drop --lr", flags.Error, StringComparison.Ordinal);

        var none = await CliHarness.RunAsync(null, "train", "-o", temp.File("run"));
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("--books", none.Error, StringComparison.Ordinal);
    }

    private static string[] SampleBooks(TempDir temp)
    {
        var paths = new[] { temp.File("north.txt"), temp.File("south.txt") };
        File.WriteAllText(paths[0], SampleBookGenerator.Generate(4000, seed: 1));
        File.WriteAllText(paths[1], SampleBookGenerator.Generate(3000, seed: 2));
        return paths;
    }
}
