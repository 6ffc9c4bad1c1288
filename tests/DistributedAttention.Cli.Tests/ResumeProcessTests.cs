using System.Text.Json;
using DistributedAttention.Core.IO;
using DistributedAttention.Model.Tests;
using DistributedAttention.Testing.Processes;

namespace DistributedAttention.Cli.Tests;

/// <summary>
/// A <c>distattn process</c> run killed mid-job (SIGKILL: nothing cancels the job) and run again
/// with the same <c>--job-id</c> picks the job up on the running cluster: it completes, its hidden
/// states equal a run that was never interrupted, and the job ran once on the cluster.
/// </summary>
public sealed class ResumeProcessTests : IDisposable
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(120);
    private static string SampleBook => Path.Combine(Repo.Root, "samples", "books", "the-north-light.txt");
    private readonly ChildProcesses children = new();
    private readonly TempDir dir = new();

    [Fact]
    public async Task A_run_killed_mid_job_and_rerun_with_its_job_id_picks_the_job_up_equal_to_an_uninterrupted_run()
    {
        var ports = FreePorts.Take(2);
        var silo = Spawn("silo", "silo", "--port", $"{ports[0]}", "--gateway-port", $"{ports[1]}");
        await silo.WaitForLineAsync("silo up:", Start);
        var jobId = "resume-" + Guid.NewGuid().ToString("N");
        string[] job = ["process", SampleBook, "--cluster", $"127.0.0.1:{ports[1]}", "--layers", "120", "--model-dim", "16", "--heads", "2", "--window", "8", "--shards", "2"];

        var first = Spawn("first run", [.. job, "--job-id", jobId, "--output", dir.File("first")]);
        // A progress line with finished shard-layers: the job's inputs are on the cluster and it runs.
        // (Killed earlier, while still uploading, the rerun would rightly start the same job from its upload.)
        await first.WaitForLineAsync("  [", Start);
        var deadline = DateTime.UtcNow + Start;
        while (!System.Text.RegularExpressions.Regex.IsMatch(first.Output, @"running: [1-9]\d*/\d+ shard-layers"))
        {
            Assert.True(DateTime.UtcNow < deadline && !first.HasExited, $"the first run showed no finished shard-layer:\n{first.Output}");
            await Task.Delay(100);
        }
        first.Crash();
        await first.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.DoesNotContain("completed:", first.Output);
        Assert.False(File.Exists(Path.Combine(dir.File("first"), "hidden.safetensors")));

        var again = Spawn("second run", [.. job, "--job-id", jobId, "--output", dir.File("again")]);
        Assert.True(await again.WaitForExitAsync(TimeSpan.FromMinutes(8)) == ExitCodes.Ok, again.Output);
        var plain = Spawn("uninterrupted run", [.. job, "--output", dir.File("plain")]);
        Assert.True(await plain.WaitForExitAsync(TimeSpan.FromMinutes(8)) == ExitCodes.Ok, plain.Output);

        using (var resumed = Safetensors.Load(Path.Combine(dir.File("again"), "hidden.safetensors"))["hidden"])
        using (var expected = Safetensors.Load(Path.Combine(dir.File("plain"), "hidden.safetensors"))["hidden"])
            Assert.True(resumed.allclose(expected, rtol: 0, atol: 0), "the resumed job's hidden states differ from an uninterrupted run's.");
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir.File("again"), "summary.json")));
        Assert.Equal(jobId, summary.RootElement.GetProperty("job_id").GetString());
        // Picked up where it was, not started over: the second run's first progress already counts finished layers.
        var firstProgress = again.Output.Split('\n').First(l => l.StartsWith("  [", StringComparison.Ordinal));
        var done = int.Parse(System.Text.RegularExpressions.Regex.Match(firstProgress, @"(\d+)/\d+ shard-layers").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(done > 0, $"the second run started from scratch: {firstProgress}");

        silo.Terminate();
        Assert.Equal(0, await silo.WaitForExitAsync(TimeSpan.FromSeconds(40)));
    }

    public void Dispose()
    {
        children.Dispose();
        dir.Dispose();
    }

    private ChildProcess Spawn(string name, params string[] args) => children.Start(name, args);
}
