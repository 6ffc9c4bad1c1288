using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace DistributedAttention.Testing.Processes;

/// <summary>
/// <c>dotnet distattn.dll ARGS</c> (or another program) as a child process, its output collected
/// line by line. Dispose kills it with its whole process tree, so a failed or hung test leaves
/// nothing behind.
/// </summary>
public sealed partial class ChildProcess : IDisposable
{
    private const int SigTerm = 15;
    private const int SigStop = 19;
    private const int SigCont = 18;
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly List<(string Prefix, TaskCompletionSource<string> Line)> waiters = [];
    private readonly TaskCompletionSource<int> exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(string name, string program, IEnumerable<string> arguments, IEnumerable<KeyValuePair<string, string?>>? environment, string workingDirectory)
    {
        Name = name;
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? [])
        {
            if (value is null) start.Environment.Remove(key);
            else start.Environment[key] = value;
        }
        process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Received(e.Data, "");
        process.ErrorDataReceived += (_, e) => Received(e.Data, "[stderr] ");
        process.Exited += (_, _) =>
        {
            // Let the output readers drain first: WaitForExit() waits for end of stream.
            process.WaitForExit();
            exited.TrySetResult(process.ExitCode);
            lock (output)
            {
                foreach (var (prefix, line) in waiters) line.TrySetException(new InvalidOperationException($"{Name} exited with code {process.ExitCode} before printing '{prefix}'. Output:\n{output}"));
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    /// <summary>Everything it printed so far (stderr lines marked).</summary>
    public string Output
    {
        get
        {
            lock (output) return output.ToString();
        }
    }

    /// <summary>Starts <c>distattn ARGS</c>.</summary>
    public static ChildProcess Start(string name, params string[] arguments) => Start(name, new Dictionary<string, string>(), arguments);

    /// <summary>Starts <c>distattn ARGS</c> with more environment variables.</summary>
    public static ChildProcess Start(string name, IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        new(name, DotnetHost(), [DistattnDll(), .. arguments], environment.Select(e => KeyValuePair.Create(e.Key, (string?)e.Value)), Repo.Root);

    /// <summary>
    /// Starts <paramref name="program"/> (a <c>dotnet</c> SDK command, an installed tool) in
    /// <paramref name="workingDirectory"/>; <paramref name="environment"/> sets variables, a null value removes one.
    /// </summary>
    public static ChildProcess StartProgram(string name, string program, IReadOnlyDictionary<string, string?> environment, string workingDirectory, params string[] arguments) =>
        new(name, program, arguments, environment, workingDirectory);

    /// <summary>The process id.</summary>
    public int Id => process.Id;

    /// <summary>The first line starting with <paramref name="prefix"/>; fails after <paramref name="timeout"/> or if the process exits first.</summary>
    public async Task<string> WaitForLineAsync(string prefix, TimeSpan timeout)
    {
        var line = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (output)
        {
            var seen = output.ToString().Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
            if (seen is not null) return seen;
            if (process.HasExited) throw new InvalidOperationException($"{Name} exited with code {process.ExitCode} before printing '{prefix}'. Output:\n{output}");
            waiters.Add((prefix, line));
        }
        try
        {
            return await line.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name} printed no '{prefix}' line within {timeout.TotalSeconds:F0} s. Output:\n{Output}");
        }
    }

    /// <summary>Its exit code; fails after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            return await exited.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds:F0} s. Output:\n{Output}");
        }
    }

    /// <summary>Asks it to stop as Ctrl+C or a container runtime would: SIGTERM.</summary>
    public void Terminate()
    {
        if (!process.HasExited && kill(process.Id, SigTerm) != 0) throw new InvalidOperationException($"kill({process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}.");
    }

    /// <summary>Freezes it (SIGSTOP): it neither answers nor dies, as a hung host or a long GC pause looks from outside.</summary>
    public void Freeze() => Signal(SigStop, "SIGSTOP");

    /// <summary>Wakes a frozen process (SIGCONT).</summary>
    public void Thaw() => Signal(SigCont, "SIGCONT");

    /// <summary>Whether it has exited.</summary>
    public bool HasExited => process.HasExited;

    private void Signal(int signal, string name)
    {
        if (!process.HasExited && kill(process.Id, signal) != 0) throw new InvalidOperationException($"kill({process.Id}, {name}) failed: errno {Marshal.GetLastPInvokeError()}.");
    }

    /// <summary>Kills it at once, as a crash or an OOM kill would: SIGKILL, no shutdown code runs.</summary>
    public void Crash()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        process.Dispose();
    }

    private void Received(string? data, string marker)
    {
        if (data is null) return;
        lock (output)
        {
            output.Append(marker).Append(data).Append('\n');
            if (marker.Length > 0) return;
            foreach (var waiter in waiters.Where(w => data.StartsWith(w.Prefix, StringComparison.Ordinal)).ToList())
            {
                waiters.Remove(waiter);
                waiter.Line.TrySetResult(data);
            }
        }
    }

    /// <summary>The <c>dotnet</c> running these tests (child processes get the same runtime).</summary>
    public static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        if (Environment.ProcessPath is { } current && Path.GetFileNameWithoutExtension(current) == "dotnet") return current;
        foreach (var root in new[] { Environment.GetEnvironmentVariable("DOTNET_ROOT"), Path.GetDirectoryName(RuntimeEnvironment.GetRuntimeDirectory()) + "/../../.." })
        {
            if (root is { Length: > 0 } && File.Exists(Path.Combine(root, "dotnet"))) return Path.GetFullPath(Path.Combine(root, "dotnet"));
        }
        return "dotnet";
    }

    /// <summary>distattn.dll of the same configuration as the tests (built with the solution, or beside the test binaries).</summary>
    public static string DistattnDll()
    {
        // Test binaries live in tests/<project>/bin/<Configuration>/<tfm>/.
        var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = tfm.Parent!.Name;
        var candidates = new[]
        {
            Path.Combine(Repo.Root, "src", "DistributedAttention.Cli", "bin", configuration, tfm.Name, "distattn.dll"),
            Path.Combine(AppContext.BaseDirectory, "distattn.dll"),
        };
        return candidates.FirstOrDefault(c => File.Exists(c) && File.Exists(Path.ChangeExtension(c, ".runtimeconfig.json")))
            ?? throw new FileNotFoundException($"distattn.dll was not built; looked for {string.Join(" and ", candidates)}. Build the solution first.");
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
