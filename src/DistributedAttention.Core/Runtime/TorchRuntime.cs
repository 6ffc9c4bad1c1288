using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Runtime;

/// <summary>
/// Loads libtorch once and turns a loader failure into one actionable message instead of a
/// native loader trace.
/// </summary>
public static class TorchRuntime
{
    /// <summary>The libstdc++ symbol version libLibTorchSharp.so needs (GCC 13+).</summary>
    public const string RequiredGlibcxx = "GLIBCXX_3.4.32";

    private static readonly Lazy<Exception?> LoadError = new(TryLoad);

    /// <summary>Throws <see cref="TorchUnavailableException"/> if TorchSharp cannot run here.</summary>
    public static void EnsureLoaded()
    {
        if (LoadError.Value is { } error) throw new TorchUnavailableException(Explain(error, FindLibStdCxx()), error);
    }

    /// <summary>Whether a libstdc++ file lacks the symbol version TorchSharp needs.</summary>
    public static bool IsTooOld(string libStdCxxPath) =>
        !File.ReadAllText(libStdCxxPath, System.Text.Encoding.Latin1).Contains(RequiredGlibcxx, StringComparison.Ordinal);

    /// <summary>The message for a load failure, given the host's libstdc++ (null when not found).</summary>
    public static string Explain(Exception error, string? libStdCxxPath)
    {
        if (libStdCxxPath is not null && IsTooOld(libStdCxxPath))
        {
            return $"TorchSharp cannot load: its native library needs {RequiredGlibcxx} (libstdc++ from GCC 13 or newer), " +
                   $"and this host's {libStdCxxPath} is older (Debian 12 ships GCC 12). " +
                   "Run the command through eng/in-sandbox.sh (it uses a cached Debian 13 userland), " +
                   "or use Debian 13, Ubuntu 24.04 or a .NET 10 container image.";
        }
        return "TorchSharp cannot load libtorch: " + FirstLine(error) +
               " Check that the application references a libtorch package for this platform (libtorch-cpu-linux-x64, TorchSharp-cpu or TorchSharp-cuda-linux; in this repository -p:TorchBackend=cuda selects the CUDA build).";
    }

    private static Exception? TryLoad()
    {
        // Checked first: on such a host TorchSharp's loader prints a long trace before failing.
        if (OperatingSystem.IsLinux() && FindLibStdCxx() is { } lib && IsTooOld(lib))
            return new DllNotFoundException($"libLibTorchSharp.so needs {RequiredGlibcxx}, which {lib} lacks.");

        // Before libtorch's first tensor: its allocations then reuse memory (NativeMemoryTuning).
        NativeMemoryTuning.Apply();

        // TorchSharp writes its loader trace to standard output; keep it out of the user's way.
        var stdout = Console.Out;
        var trace = new StringWriter();
        Console.SetOut(trace);
        try
        {
            using var probe = zeros(1);
            return null;
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or EntryPointNotFoundException or ExternalException)
        {
            return new DllNotFoundException(FirstLine(e), new InvalidOperationException(trace.ToString(), e));
        }
        finally
        {
            Console.SetOut(stdout);
        }
    }

    /// <summary>
    /// The libstdc++ the dynamic loader would give libLibTorchSharp.so: the first one in the
    /// folders of <paramref name="ldLibraryPath"/> (it searches them first; a newer libstdc++ put
    /// there on an older distribution is the one that counts), else the system's. Null when none is found.
    /// </summary>
    public static string? FindLibStdCxx(string? ldLibraryPath) =>
        (ldLibraryPath ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "libstdc++.so.6"))
            .Concat(["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6"])
            .FirstOrDefault(File.Exists);

    private static string? FindLibStdCxx() => FindLibStdCxx(Environment.GetEnvironmentVariable("LD_LIBRARY_PATH"));

    private static string FirstLine(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null) inner = inner.InnerException;
        return inner.Message.Split('\n')[0].Trim();
    }
}
