using DistributedAttention.Abstractions;
using DistributedAttention.Cli.Progress;
using Spectre.Console;

namespace DistributedAttention.Cli.Tests;

/// <summary>The progress display: a live table on a terminal, plain lines when redirected.</summary>
public sealed class JobProgressViewTests
{
    private static JobStatus Status(JobState state, int done) => new(
        "job-1", JobKind.Model, state, "layer 0", 2, done,
        [new ShardProgress(0, "silo-a", "cpu", done), new ShardProgress(1, "silo-b", "cuda:0", done)],
        [], [], [], new Dictionary<string, long> { ["halo"] = 2_000_000 }, [1_000_000, 1_000_000], null, 1.5, "silo-a");

    private static async Task<string> Show(bool terminal)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = terminal ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Standard : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        var view = new JobProgressView(console);
        var result = await view.ShowWhileAsync("test job", async progress =>
        {
            foreach (var (state, done) in new[] { (JobState.Running, 0), (JobState.Running, 1), (JobState.Running, 1), (JobState.Completed, 2) })
            {
                progress.Report(Status(state, done));
                await Task.Delay(30);
            }
            return 42;
        });
        Assert.Equal(42, result);
        return output.ToString();
    }

    [Fact]
    public async Task Redirected_output_gets_one_line_per_change()
    {
        var text = await Show(terminal: false);
        Assert.Contains("test job", text);
        Assert.Contains("running: 0/4 shard-layers done", text);
        Assert.Single(text.Split('\n'), line => line.Contains("running: 2/4") || line.Contains("running: 1/4"));
        Assert.Contains("completed: 4/4 shard-layers done", text);
    }

    [Fact]
    public async Task A_terminal_gets_a_live_table_of_shards_and_layers()
    {
        var text = await Show(terminal: true);
        Assert.Contains("silo-b", text);
        Assert.Contains("cuda:0", text);
        Assert.Contains("2/2", text);
        Assert.Contains("completed", text);
    }
}
