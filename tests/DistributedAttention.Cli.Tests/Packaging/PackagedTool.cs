using System.Diagnostics;
using System.Reflection;
using DistributedAttention.Testing.Processes;

namespace DistributedAttention.Cli.Tests.Packaging;

/// <summary>
/// The solution packed as a user would pack it (<c>dotnet pack</c>, no build: the packages are made
/// from the build the tests run on) into a temporary local feed, and the distattn tool installed
/// from that feed, and only from it, into a temporary tool path. Dispose deletes all of it.
/// </summary>
public sealed class PackagedTool : IAsyncLifetime
{
    /// <summary>Packing compresses libtorch (about 600 MB unpacked): about 30 s on two idle cores.</summary>
    public static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Installing extracts the same 600 MB: a few seconds.</summary>
    public static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(3);

    private readonly string root = Directory.CreateTempSubdirectory("distattn-pack-").FullName;

    /// <summary>The version the build stamped into distattn (its informational version without +commit).</summary>
    public string Version { get; } = BuiltVersion();

    /// <summary>The local feed: the packed .nupkg files.</summary>
    public string Feed => Path.Combine(root, "feed");

    /// <summary>The tool path the tool was installed into (the <c>distattn</c> shim and its <c>.store</c>).</summary>
    public string ToolPath => Path.Combine(root, "tools");

    /// <summary>The installed <c>distattn</c> command.</summary>
    public string Distattn => Path.Combine(ToolPath, "distattn");

    /// <summary>A scratch folder for the tool's inputs and outputs.</summary>
    public string Work => Path.Combine(root, "work");

    /// <summary>How long <c>dotnet pack</c> took.</summary>
    public TimeSpan PackTime { get; private set; }

    /// <summary>How long <c>dotnet tool install</c> took.</summary>
    public TimeSpan InstallTime { get; private set; }

    /// <summary>The package <paramref name="id"/> of <see cref="Version"/> in the feed.</summary>
    public string Package(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

    /// <summary>The environment an installed tool runs in: the runtime of these tests.</summary>
    public IReadOnlyDictionary<string, string?> ToolEnvironment => new Dictionary<string, string?>
    {
        ["DOTNET_ROOT"] = Path.GetDirectoryName(ChildProcess.DotnetHost()),
    };

    public async Task InitializeAsync()
    {
        try
        {
            Directory.CreateDirectory(Work);
            // Our feed only: whatever sources the machine has configured, the tool comes from this feed.
            var config = Path.Combine(root, "nuget.config");
            await File.WriteAllTextAsync(config, $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="distattn-test-feed" value="{Feed}" />
                  </packageSources>
                </configuration>
                """);

            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
            PackTime = await RunSdkAsync("dotnet pack", PackTimeout, Repo.Root, SdkEnvironment(),
                "pack", "DistributedAttention.sln", "-c", configuration, "--no-build", "--disable-build-servers", "-o", Feed,
                // The tool's publish layout and the nuspec files go here, not into the repository's bin and obj.
                $"-p:PublishDir={Path.Combine(root, "publish")}/", $"-p:NuspecOutputPath={Path.Combine(root, "nuspec")}/");
            // NuGet's package folder and caches inside the temporary folder: a package of the same
            // version from an earlier run can never stand in for the one just packed.
            var install = SdkEnvironment();
            install["NUGET_PACKAGES"] = Path.Combine(root, "nuget-packages");
            install["NUGET_HTTP_CACHE_PATH"] = Path.Combine(root, "nuget-http-cache");
            InstallTime = await RunSdkAsync("dotnet tool install", InstallTimeout, Work, install,
                "tool", "install", "DistributedAttention.Cli", "--version", Version, "--tool-path", ToolPath, "--configfile", config);
        }
        catch
        {
            // A failed pack or install leaves nothing behind either, whether or not xunit disposes the fixture then.
            DeleteRoot();
            throw;
        }
    }

    public Task DisposeAsync()
    {
        DeleteRoot();
        return Task.CompletedTask;
    }

    private void DeleteRoot()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    /// <summary>Runs a dotnet SDK command to its end within <paramref name="timeout"/>; fails with its output unless it exits 0.</summary>
    private static async Task<TimeSpan> RunSdkAsync(string name, TimeSpan timeout, string workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        var clock = Stopwatch.StartNew();
        using var command = ChildProcess.StartProgram(name, ChildProcess.DotnetHost(), environment, workingDirectory, arguments);
        var code = await command.WaitForExitAsync(timeout);
        if (code != 0) throw new InvalidOperationException($"{name} exited with code {code}. Output:\n{command.Output}");
        return clock.Elapsed;
    }

    /// <summary>A clean SDK environment: none of the MSBuild variables <c>dotnet test</c> passed to this process.</summary>
    private static Dictionary<string, string?> SdkEnvironment()
    {
        var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(k => k, _ => (string?)null);
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        return environment;
    }

    private static string BuiltVersion()
    {
        var informational = typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        return informational.Split('+')[0];
    }
}
