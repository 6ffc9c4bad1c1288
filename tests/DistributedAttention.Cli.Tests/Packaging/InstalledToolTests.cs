using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using DistributedAttention.Testing.Processes;

namespace DistributedAttention.Cli.Tests.Packaging;

/// <summary>
/// distattn as a user gets it: <c>dotnet tool install</c> from the local feed into a tool path, then
/// the installed command run as a process (its own copy of every assembly, libtorch and the dashboard).
/// </summary>
[Collection(PackagedToolCollection.Name)]
public sealed class InstalledToolTests(PackagedTool packed)
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Job = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan DashboardStart = TimeSpan.FromSeconds(120);

    [Fact]
    public void The_installed_package_is_the_one_just_packed()
    {
        // The tool path's store keeps the package it extracted: byte for byte the one in our feed.
        var id = "distributedattention.cli";
        var installed = Path.Combine(packed.ToolPath, ".store", id, packed.Version, id, packed.Version, $"{id}.{packed.Version}.nupkg");
        Assert.Equal(Sha512(packed.Package("DistributedAttention.Cli")), Sha512(installed));
    }

    [Fact]
    public async Task The_installed_tool_prints_its_version_and_processes_a_generated_book()
    {
        var version = await RunAsync(Quick, "--version");
        // The package version, then the commit the build recorded (absent outside a git checkout).
        Assert.Matches($@"^{Regex.Escape(packed.Version)}(\+\S+)?$", Assert.Single(version.TrimEnd().Split('\n')));

        var book = Path.Combine(packed.Work, "book.txt");
        await RunAsync(Quick, "sample", "--output", book, "--tokens", "2000");
        var output = Path.Combine(packed.Work, "book.distattn");
        await RunAsync(Job, "process", book, "--output", output, "--silos", "2", "--shards", "2",
            "--layers", "1", "--model-dim", "16", "--heads", "2", "--verify");

        foreach (var file in new[] { "hidden.safetensors", "chapters.safetensors", "chapters.json", "summary.json" })
        {
            Assert.True(new FileInfo(Path.Combine(output, file)) is { Exists: true, Length: > 0 }, $"{file} is missing or empty in {output}.");
        }
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "summary.json")));
        Assert.InRange(summary.RootElement.GetProperty("tokens").GetInt64(), 1_000, 4_000);
        Assert.Equal(2, summary.RootElement.GetProperty("shards").GetInt32());
        Assert.True(summary.RootElement.GetProperty("verification").GetProperty("within_tolerance").GetBoolean());
        // hidden states: 16 fp32 values per token, after the safetensors header.
        Assert.True(new FileInfo(Path.Combine(output, "hidden.safetensors")).Length > summary.RootElement.GetProperty("tokens").GetInt64() * 16 * 4);
    }

    [Fact]
    public async Task The_installed_tool_runs_the_dashboard_it_carries()
    {
        using var command = ChildProcess.StartProgram("distattn dashboard (installed)", packed.Distattn, packed.ToolEnvironment, packed.Work,
            "dashboard", "--port", "0", "--otlp-port", "0", "--otlp-http-port", "0");
        Assert.StartsWith("Aspire dashboard: http://127.0.0.1:", await command.WaitForLineAsync("Aspire dashboard: ", DashboardStart));
        var dashboard = Assert.Single(ProcessTree.Descendants(command.Id), p => ProcessTree.CommandLine(p).Contains("Aspire.Dashboard", StringComparison.Ordinal));
        try
        {
            // The copy inside the installed package, not the build machine's package folder.
            Assert.StartsWith(Path.Combine(packed.ToolPath, ".store") + "/", ProcessTree.CommandLine(dashboard));
            command.Terminate();
            Assert.Equal(ExitCodes.Ok, await command.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.True(await ProcessTree.WaitUntilGoneAsync(dashboard, TimeSpan.FromSeconds(10)), $"the dashboard program (pid {dashboard}) outlived distattn.");
        }
        finally
        {
            ProcessTree.KillIfRunning(dashboard);
        }
    }

    private static string Sha512(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexString(SHA512.HashData(file));
    }

    /// <summary>Runs the installed <c>distattn ARGS</c> to its end; fails with its output unless it exits 0. Returns its output.</summary>
    private async Task<string> RunAsync(TimeSpan timeout, params string[] arguments)
    {
        using var command = ChildProcess.StartProgram($"distattn {arguments[0]} (installed)", packed.Distattn, packed.ToolEnvironment, packed.Work, arguments);
        var code = await command.WaitForExitAsync(timeout);
        Assert.True(code == ExitCodes.Ok, $"distattn {string.Join(' ', arguments)} exited with code {code}. Output:\n{command.Output}");
        return command.Output;
    }
}
