using System.Globalization;
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
        var name = args[at + 1].Trim().ToLowerInvariant();
        if (name.StartsWith("cuda", StringComparison.Ordinal))
        {
            // Before the first tensor: TorchSharp picks its native backend once, on first use.
            InitializeDeviceType(DeviceType.CUDA);
            if (!cuda.is_available()) throw new ArgumentException($"--device {name}: libtorch loaded, but it reports no CUDA device.");
            var index = name.Contains(':', StringComparison.Ordinal) ? int.Parse(name[(name.IndexOf(':', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture) : 0;
            Current = new Device(DeviceType.CUDA, index);
        }
        else if (name != "cpu")
        {
            throw new ArgumentException($"--device '{name}' is not valid; use cpu or cuda:N.");
        }
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
