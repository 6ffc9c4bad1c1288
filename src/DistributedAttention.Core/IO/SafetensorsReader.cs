using static TorchSharp.torch;
using DistributedAttention.Formats;

namespace DistributedAttention.Core.IO;

/// <summary>
/// Reads a safetensors file into tensors: the header is parsed and validated on open
/// (<see cref="SafetensorsFile"/>), tensors are read one at a time on demand (so a runtime can
/// load just the weights it needs). Not thread-safe.
/// </summary>
public sealed class SafetensorsReader : IDisposable
{
    private readonly SafetensorsFile file;

    /// <summary>Reads and validates the header of a seekable <paramref name="stream"/> positioned at the file start.</summary>
    /// <param name="stream">The file contents; must be readable and seekable.</param>
    /// <param name="leaveOpen">Keep the stream open when this reader is disposed.</param>
    /// <param name="source">Name used in error messages (a file name).</param>
    /// <exception cref="InvalidDataException">The header is corrupt, or the data section is truncated.</exception>
    public SafetensorsReader(Stream stream, bool leaveOpen = false, string source = "safetensors stream")
        : this(new SafetensorsFile(stream, leaveOpen, source))
    {
    }

    private SafetensorsReader(SafetensorsFile file)
    {
        this.file = file;
    }

    /// <summary>Opens the file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The header is corrupt, or the data section is truncated.</exception>
    public static SafetensorsReader Open(string path) => new(SafetensorsFile.Open(path));

    /// <summary>The <c>__metadata__</c> string map (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata => file.Metadata;

    /// <summary>Every tensor's header entry, in data order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors => file.Tensors;

    /// <summary>True when the file holds a tensor named <paramref name="name"/>.</summary>
    public bool Contains(string name) => file.Contains(name);

    /// <summary>The header entry of <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public SafetensorsTensorInfo GetInfo(string name) => file.GetInfo(name);

    /// <summary>Reads tensor <paramref name="name"/> onto <paramref name="device"/> (CPU by default). The caller disposes it.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public Tensor Read(string name, Device? device = null)
    {
        var info = file.GetInfo(name);
        return TensorBytes.Read(file.Seek(name), ScalarTypes.Of(info.DType), [.. info.Shape], device ?? CPU);
    }

    /// <summary>Reads every tensor onto <paramref name="device"/> (CPU by default). The caller disposes them.</summary>
    public Dictionary<string, Tensor> ReadAll(Device? device = null)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var info in Tensors) result[info.Name] = Read(info.Name, device);
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    /// <inheritdoc />
    public void Dispose() => file.Dispose();
}
