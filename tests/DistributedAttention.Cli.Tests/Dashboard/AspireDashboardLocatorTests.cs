using DistributedAttention.Cli.Dashboard;
using DistributedAttention.Testing.Processes;

namespace DistributedAttention.Cli.Tests.Dashboard;

/// <summary>Where the dashboard program comes from, with real files (Linux: the package holds a linux-x64 program).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AspireDashboardLocatorTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("distattn-locator-").FullName;

    [Fact]
    public void The_build_records_the_package_program_and_copies_nothing_of_it()
    {
        var recorded = AspireDashboardLocator.RecordedPath;
        Assert.NotNull(recorded);
        Assert.EndsWith("/tools/Aspire.Dashboard", recorded);
        Assert.Equal(recorded, AspireDashboardLocator.Locate(null, recorded));
        // The 78 MB program and its web assets stay in the package folder.
        var output = Path.GetDirectoryName(ChildProcess.DistattnDll())!;
        Assert.False(File.Exists(Path.Combine(output, "Aspire.Dashboard")), $"Aspire.Dashboard was copied into {output}.");
        Assert.False(Directory.Exists(Path.Combine(output, "wwwroot")), $"the dashboard's wwwroot was copied into {output}.");
    }

    [Fact]
    public void The_environment_variable_wins_over_the_recorded_path()
    {
        var program = Executable("my-dashboard");
        Assert.Equal(program, AspireDashboardLocator.Locate(program, Path.Combine(folder, "recorded")));
    }

    [Fact]
    public void A_file_that_is_not_executable_is_named_with_the_fix()
    {
        var program = Path.Combine(folder, "plain");
        File.WriteAllText(program, "");
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var error = Assert.Throws<UsageException>(() => AspireDashboardLocator.Locate(program, null));
        Assert.Contains($"{program}: is not executable (chmod +x {program})", error.Message);
    }

    [Fact]
    public void A_folder_is_not_the_program()
    {
        var error = Assert.Throws<UsageException>(() => AspireDashboardLocator.Locate(folder, null));
        Assert.Contains("is a folder, not the program", error.Message);
    }

    [Fact]
    public void A_recorded_program_that_is_gone_says_how_to_get_it_back()
    {
        var gone = Path.Combine(folder, "tools", "Aspire.Dashboard");
        var error = Assert.Throws<DashboardUnavailableException>(() => AspireDashboardLocator.Locate(null, gone));
        Assert.Equal($"the Aspire dashboard program {gone} does not exist; restore the solution again (dotnet restore) or set DISTATTN_ASPIRE_DASHBOARD to the Aspire.Dashboard executable.", error.Message);
    }

    [Fact]
    public void No_recorded_path_and_no_variable_says_which_variable_to_set()
    {
        var error = Assert.Throws<DashboardUnavailableException>(() => AspireDashboardLocator.Locate("  ", null));
        Assert.Contains("set DISTATTN_ASPIRE_DASHBOARD", error.Message);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string Executable(string name)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, "#!/bin/sh\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
