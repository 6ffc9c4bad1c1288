using DistributedAttention.Model.Tests;
using DistributedAttention.Testing.Processes;

namespace DistributedAttention.Cli.Tests;

/// <summary>Ctrl+C or SIGTERM during a job: the CLI cancels the job on the cluster, writes nothing, and exits 130.</summary>
public sealed class InterruptTests
{
    private static string SampleBook => Path.Combine(Repo.Root, "samples", "books", "the-north-light.txt");

    [Fact]
    public async Task Sigterm_mid_job_cancels_it_and_exits_130_without_an_output()
    {
        using var dir = new TempDir();
        var output = dir.File("out");
        using var cli = ChildProcess.Start("distattn process", "process", SampleBook, "--silos", "2", "--layers", "60", "--output", output);
        // A progress line: the job is on the cluster.
        await cli.WaitForLineAsync("  [", TimeSpan.FromSeconds(120));
        await Task.Delay(500);
        cli.Terminate();
        var code = await cli.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(code == ExitCodes.Interrupted, $"exit code {code}:\n{cli.Output}");
        Assert.Contains("interrupted; the job was cancelled.", cli.Output);
        Assert.False(File.Exists(Path.Combine(output, "hidden.safetensors")), "an interrupted job left an output behind.");
    }
}
