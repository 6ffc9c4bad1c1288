using System.Xml.Linq;
using DistributedAttention.Testing.Processes;
using Xunit.Abstractions;

namespace DistributedAttention.Cli.Tests.Packaging;

/// <summary>What <c>dotnet pack</c> makes of the solution: which packages, and what is in them.</summary>
[Collection(PackagedToolCollection.Name)]
public sealed class PackageContentsTests(PackagedTool packed, ITestOutputHelper output)
{
    private const string Tool = "DistributedAttention.Cli";
    private const string Core = "DistributedAttention.Core";

    [Fact]
    public void Only_the_tool_and_the_core_library_with_its_three_dependencies_are_packed()
    {
        // Tests, benchmarks and the other libraries are not packable; everything shares one version.
        Assert.Equal(
            new[] { Tool, "DistributedAttention.Contracts", Core, "DistributedAttention.Diagnostics", "DistributedAttention.Formats" }.Select(id => $"{id}.{packed.Version}.nupkg").Order(),
            Directory.GetFiles(packed.Feed).Select(Path.GetFileName).Order());
        // The one place the version comes from.
        var prefix = XDocument.Load(Path.Combine(Repo.Root, "Directory.Build.props")).Descendants("VersionPrefix").Single().Value;
        Assert.StartsWith(prefix, packed.Version);
    }

    [Fact]
    public void The_tool_package_is_the_distattn_command_with_libtorch_and_the_dashboard_inside()
    {
        var path = packed.Package(Tool);
        var package = Nupkg.Read(path);
        output.WriteLine($"{Tool}: {new FileInfo(path).Length / 1e6:F1} MB packed, {package.Entries.Values.Sum() / 1e6:F1} MB unpacked, {package.Entries.Count} files; pack {packed.PackTime.TotalSeconds:F1} s, install {packed.InstallTime.TotalSeconds:F1} s");

        Assert.Equal(Tool, package["id"]);
        Assert.Equal(packed.Version, package["version"]);
        Assert.Equal(["DotnetTool"], package.PackageTypes);
        AssertMetadata(package);
        // A tool carries everything inside: no package dependency at all.
        Assert.Empty(package.Dependencies);

        var settings = XDocument.Parse(Nupkg.ReadEntry(path, "tools/net10.0/any/DotnetToolSettings.xml"));
        var command = settings.Descendants("Command").Single();
        Assert.Equal("distattn", command.Attribute("Name")!.Value);
        Assert.Equal("distattn.dll", command.Attribute("EntryPoint")!.Value);

        // The native libtorch of the default (CPU) backend, TorchSharp's native bridge, and the
        // Aspire dashboard program that distattn dashboard runs.
        const string native = "tools/net10.0/any/runtimes/linux-x64/native/";
        Assert.True(package.Entries.GetValueOrDefault(native + "libtorch_cpu.so") > 100_000_000, "libtorch_cpu.so is missing or truncated.");
        Assert.Contains(native + "libLibTorchSharp.so", package.Entries.Keys);
        Assert.Contains("tools/net10.0/any/TorchSharp.dll", package.Entries.Keys);
        Assert.Contains("tools/net10.0/any/aspire-dashboard/Aspire.Dashboard", package.Entries.Keys);
        Assert.Contains(package.Entries.Keys, k => k.StartsWith("tools/net10.0/any/aspire-dashboard/wwwroot/", StringComparison.Ordinal));
    }

    [Fact]
    public void The_core_package_depends_on_TorchSharp_and_on_its_three_dependencies_in_the_same_feed()
    {
        var package = Nupkg.Read(packed.Package(Core));
        Assert.Equal(Core, package["id"]);
        Assert.Equal(packed.Version, package["version"]);
        Assert.Empty(package.PackageTypes);
        AssertMetadata(package);
        Assert.Contains("lib/net10.0/DistributedAttention.Core.dll", package.Entries.Keys);
        Assert.Contains("lib/net10.0/DistributedAttention.Core.xml", package.Entries.Keys);

        Assert.Equal(["net10.0"], package.DependencyFrameworks);
        Assert.Equal(CentralVersion("TorchSharp"), package.Dependencies["TorchSharp"]);
        // The native libtorch is the application's choice (CPU, CUDA, another platform), not the library's.
        Assert.DoesNotContain(package.Dependencies.Keys, id => id.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase) || id.StartsWith("TorchSharp-", StringComparison.OrdinalIgnoreCase));
        // Our own dependencies are packages of the same version, and they are in the feed.
        var ours = package.Dependencies.Where(d => d.Key.StartsWith("DistributedAttention.", StringComparison.Ordinal)).ToList();
        Assert.Equal(["DistributedAttention.Contracts", "DistributedAttention.Diagnostics", "DistributedAttention.Formats"], ours.Select(d => d.Key).Order());
        foreach (var (id, version) in ours)
        {
            Assert.Equal(packed.Version, version);
            var dependency = Nupkg.Read(packed.Package(id));
            Assert.Equal(id, dependency["id"]);
            AssertMetadata(dependency);
            Assert.Contains($"lib/net10.0/{id}.dll", dependency.Entries.Keys);
        }
    }

    /// <summary>What every package of ours says about itself.</summary>
    private static void AssertMetadata(Nupkg package)
    {
        Assert.False(string.IsNullOrWhiteSpace(package["description"]), $"{package["id"]} has no description.");
        Assert.False(string.IsNullOrWhiteSpace(package["authors"]), $"{package["id"]} names no authors.");
        Assert.False(string.IsNullOrWhiteSpace(package["tags"]), $"{package["id"]} has no tags.");
        Assert.Equal("expression", package.TypeOf("license"));
        Assert.Equal("MIT", package["license"]);
        Assert.StartsWith("https://", package.Metadata.Elements().Single(e => e.Name.LocalName == "repository").Attribute("url")!.Value);
        Assert.Equal("README.md", package["readme"]);
        Assert.True(package.Entries.GetValueOrDefault("README.md") > 0, $"{package["id"]} carries no README.md.");
    }

    private static string CentralVersion(string id) =>
        XDocument.Load(Path.Combine(Repo.Root, "Directory.Packages.props")).Descendants("PackageVersion")
            .Single(p => p.Attribute("Include")!.Value == id).Attribute("Version")!.Value;
}
