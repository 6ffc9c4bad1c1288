using System.Diagnostics;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>Renders kustomizations with <c>kubectl kustomize</c> (offline: no cluster is contacted).</summary>
internal static class Kubectl
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>The rendered multi-document YAML of the kustomization in <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidOperationException">kubectl is missing, fails or runs past the timeout.</exception>
    public static string Kustomize(string directory)
    {
        var start = new ProcessStartInfo(Locate())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("kustomize");
        start.ArgumentList.Add(directory);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("kubectl did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new InvalidOperationException($"kubectl kustomize {directory} ran past {Timeout.TotalSeconds} s.");
        }
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"kubectl kustomize {directory} exited {process.ExitCode}: {stderr.Result.Trim()}");
        return stdout.Result;
    }

    private static string Locate()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "kubectl");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException(
            "kubectl is not on PATH. The Kubernetes manifest tests render k8s/ with `kubectl kustomize` (offline). " +
            "Install it (Debian 13: apt-get install kubectl); eng/test.sh adds it to the sandbox's packages (DISTATTN_SANDBOX_PACKAGES).");
    }
}
