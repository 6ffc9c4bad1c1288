using System.Diagnostics;
using System.Text;

namespace DistributedAttention.Deploy.Tests.Compose;

/// <summary>Runs the <c>docker</c> and <c>docker-compose</c> programs of the machine (a real engine), bounded in time.</summary>
internal static class Docker
{
    /// <summary>The result of one command.</summary>
    public sealed record Result(int ExitCode, string Output)
    {
        /// <summary>This result, or an exception naming the command and its output when it failed.</summary>
        public Result EnsureSuccess(string what) =>
            ExitCode == 0 ? this : throw new InvalidOperationException($"{what} failed (exit {ExitCode}):\n{Output}");
    }

    /// <summary>Runs <paramref name="program"/> with <paramref name="arguments"/>; kills it after <paramref name="timeout"/>.</summary>
    public static async Task<Result> RunAsync(string program, IEnumerable<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        if (environment is not null)
        {
            foreach (var (key, value) in environment) start.Environment[key] = value;
        }
        using var process = new Process { StartInfo = start };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"'{program}' cannot be started ({e.Message}); the deployment tests need the Docker client and Compose v2 (the CI script installs them).", e);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', start.ArgumentList)} did not finish within {timeout.TotalSeconds:F0} s. Output:\n{output}");
        }
        process.WaitForExit();
        lock (output) return new Result(process.ExitCode, output.ToString());
    }

    /// <summary><c>docker ARGS</c>.</summary>
    public static Task<Result> CliAsync(TimeSpan timeout, params string[] arguments) => RunAsync("docker", arguments, timeout);

    /// <summary>Fails with a clear message unless an engine answers and every image in <paramref name="images"/> exists.</summary>
    public static async Task RequireAsync(params string[] images)
    {
        (await CliAsync(TimeSpan.FromSeconds(30), "info", "--format", "{{.ServerVersion}}"))
            .EnsureSuccess("docker info (no Docker engine answers; start dockerd, as .ci/run does)");
        foreach (var image in images)
        {
            var inspect = await CliAsync(TimeSpan.FromSeconds(30), "image", "inspect", "--format", "{{.Id}}", image);
            if (inspect.ExitCode != 0)
                throw new InvalidOperationException($"image {image} is missing: build the images first (eng/docker-images.sh; .ci/run does it).");
        }
    }
}
