using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Runtime;

/// <summary>Explicit device selection: <c>cpu</c> or <c>cuda:N</c>; nothing process-global is changed.</summary>
public static class DeviceSelector
{
    /// <summary>Parses and checks a device name, with an error that names the problem.</summary>
    /// <exception cref="ArgumentException">The name is malformed, or the CUDA device does not exist here.</exception>
    public static Device Parse(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var text = name.Trim().ToLowerInvariant();
        if (text == "cpu") return CPU;
        if (text == "cuda") text = "cuda:0";
        if (!text.StartsWith("cuda:", StringComparison.Ordinal) || !int.TryParse(text.AsSpan(5), out var index) || index < 0)
            throw new ArgumentException($"device '{name}' is not valid; use 'cpu' or 'cuda:N' (N >= 0).", nameof(name));
        TorchRuntime.EnsureLoaded();
        if (!cuda.is_available())
            throw new ArgumentException($"device '{name}' needs CUDA, which is not available in this build or on this host (build with -p:TorchBackend=cuda on a GPU machine).", nameof(name));
        var count = cuda.device_count();
        if (index >= count)
            throw new ArgumentException($"device '{name}' does not exist; this host has {count} CUDA device(s).", nameof(name));
        return new Device(DeviceType.CUDA, index);
    }
}
