using System.Reflection;

namespace DistributedAttention.Cli.Dashboard;

/// <summary>
/// Finds the Aspire dashboard program: the path in <c>DISTATTN_ASPIRE_DASHBOARD</c> if set, else the
/// copy the .NET tool package carries beside distattn.dll, else the <c>tools/Aspire.Dashboard</c> of
/// the <c>Aspire.Dashboard.Sdk.linux-x64</c> package, whose location the build records in
/// distattn's assembly metadata (a build never copies the 78 MB program).
/// </summary>
public static class AspireDashboardLocator
{
    /// <summary>The environment variable that names the dashboard executable, overriding the recorded path.</summary>
    public const string EnvironmentVariable = "DISTATTN_ASPIRE_DASHBOARD";

    /// <summary>The assembly metadata key the build writes the package's program path under.</summary>
    public const string MetadataKey = "AspireDashboardPath";

    /// <summary>The program as the .NET tool package lays it out beside distattn.dll (absent from a build's output).</summary>
    public static string BundledPath => Path.Combine(AppContext.BaseDirectory, "aspire-dashboard", "Aspire.Dashboard");

    /// <summary>The path recorded at build time, or null when the build had no restored package.</summary>
    public static string? RecordedPath =>
        typeof(AspireDashboardLocator).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == MetadataKey)?.Value is { Length: > 0 } path ? path : null;

    /// <summary>The full path of an executable dashboard program.</summary>
    /// <exception cref="UsageException"><c>DISTATTN_ASPIRE_DASHBOARD</c> names no executable file.</exception>
    /// <exception cref="DashboardUnavailableException">No override is set and the recorded program is missing or not executable.</exception>
    public static string Locate() =>
        Locate(Environment.GetEnvironmentVariable(EnvironmentVariable), File.Exists(BundledPath) ? BundledPath : RecordedPath);

    /// <summary><see cref="Locate()"/> with the override and the bundled or recorded path given.</summary>
    public static string Locate(string? overridePath, string? recordedPath)
    {
        if (!string.IsNullOrWhiteSpace(overridePath))
        {
            // A setting the user gave: a bad value, as a bad option would be.
            return Problem(Path.GetFullPath(overridePath)) is { } problem
                ? throw new UsageException($"{EnvironmentVariable}={overridePath}: {problem}; point it at the Aspire.Dashboard executable (tools/Aspire.Dashboard in the Aspire.Dashboard.Sdk.linux-x64 package).")
                : Path.GetFullPath(overridePath);
        }
        if (recordedPath is null)
        {
            throw new DashboardUnavailableException($"this distattn was built without the Aspire.Dashboard.Sdk.linux-x64 package; set {EnvironmentVariable} to the Aspire.Dashboard executable.");
        }
        return Problem(recordedPath) is { } missing
            ? throw new DashboardUnavailableException($"the Aspire dashboard program {recordedPath} {missing}; restore the solution again (dotnet restore) or set {EnvironmentVariable} to the Aspire.Dashboard executable.")
            : recordedPath;
    }

    /// <summary>Why <paramref name="path"/> cannot be run, or null when it can.</summary>
    private static string? Problem(string path)
    {
        if (Directory.Exists(path)) return "is a folder, not the program";
        if (!File.Exists(path)) return "does not exist";
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & anyExecute) == 0) return $"is not executable (chmod +x {path})";
        return null;
    }
}
