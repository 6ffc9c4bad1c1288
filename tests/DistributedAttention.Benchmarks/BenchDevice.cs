using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Benchmarks;

/// <summary>
/// The device the tensor suites run on (<c>--device cpu|cuda:N</c>, CPU by default), and what the
/// benchmark reports about the libtorch it actually loaded: a program built with
/// <c>-p:TorchBackend=external</c> loads whichever libtorch it finds on LD_LIBRARY_PATH, and
/// TorchSharp's own version string names only the build it was compiled against.
/// </summary>
internal static class BenchDevice
{
    /// <summary>Where the suites allocate their tensors.</summary>
    public static Device Current { get; private set; } = CPU;

    /// <summary>Whether timings must wait for queued device work.</summary>
    public static bool IsCuda => Current.type == DeviceType.CUDA;

    /// <summary>Takes <c>--device NAME</c> out of <paramref name="args"/>; loads the CUDA backend first when it names a GPU.</summary>
    public static string[] Select(string[] args)
    {
        var at = Array.IndexOf(args, "--device");
        if (at < 0) return args;
        if (at + 1 >= args.Length) throw new ArgumentException("--device needs a value: cpu or cuda:N.");
        var name = args[at + 1];
        // Before the first tensor: TorchSharp picks its native backend once, on first use.
        if (name.Trim().StartsWith("cuda", StringComparison.OrdinalIgnoreCase)) InitializeDeviceType(DeviceType.CUDA);
        Current = DeviceSelector.Parse(name);
        return [.. args.Take(at), .. args.Skip(at + 2)];
    }

    /// <summary>Waits for the device's queued work, so a timer measures it.</summary>
    public static void Synchronize()
    {
        if (IsCuda) cuda.synchronize(Current);
    }

    /// <summary>The libtorch files this process mapped (from /proc/self/maps), one per line.</summary>
    public static IEnumerable<string> LoadedLibTorch() =>
        File.Exists("/proc/self/maps")
            ? File.ReadLines("/proc/self/maps")
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
                .Where(path => path.Contains("libtorch", StringComparison.Ordinal) || path.Contains("libc10", StringComparison.Ordinal) || path.Contains("LibTorchSharp", StringComparison.Ordinal))
                .Distinct()
            : [];
}
