using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using DistributedAttention.Testing.Processes;

namespace DistributedAttention.Model.Tests.IO;

/// <summary>Runs eng/check-safetensors.py, which uses Python's reference safetensors library.</summary>
internal static class PythonSafetensors
{
    private const string Install = "the Python interop check needs python3 with numpy and safetensors "
        + "(Debian 13: apt-get install python3 python3-numpy python3-safetensors; in the sandbox of eng/in-sandbox.sh, install them into its userland).";

    /// <summary>The script's --json description of <paramref name="path"/>.</summary>
    public static JsonDocument Describe(string path) => JsonDocument.Parse(Run("--json", path));

    /// <summary>Makes the script write its reference file to <paramref name="path"/>.</summary>
    public static void WriteReference(string path) => Run("--write", path);

    private static string Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(Repo.Root, "eng", "check-safetensors.py"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start.");
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"python3 is not installed ({e.Message}): {Install}");
            throw;
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode == 3) Assert.Fail($"{stderr.Result.Trim()}: {Install}");
            Assert.True(process.ExitCode == 0, $"check-safetensors.py {string.Join(' ', arguments)} failed with exit code {process.ExitCode}: {stderr.Result}");
            return stdout;
        }
    }
}
