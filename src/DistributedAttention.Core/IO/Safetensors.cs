using DistributedAttention.Contracts;
using DistributedAttention.Formats;
using static TorchSharp.torch;

namespace DistributedAttention.Core.IO;

/// <summary>
/// Saves and loads named tensors in the safetensors format: an 8-byte little-endian header
/// length, a JSON header <c>{name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}</c>
/// padded with spaces to an 8-byte boundary, then the raw little-endian data of every tensor,
/// contiguous and in row-major order. Files are readable by Python's <c>safetensors</c>.
/// </summary>
/// <remarks>
/// Tensors are written in the reference writer's order (dtype rank, which falls with element
/// size, then name), so every tensor's data starts aligned to its element size. Data streams in
/// bounded chunks; no buffer of a whole tensor is built on the managed heap.
/// </remarks>
public static class Safetensors
{
    /// <summary>Writes <paramref name="tensors"/> and <paramref name="metadata"/> to <paramref name="path"/>, replacing it atomically.</summary>
    /// <param name="path">Destination file; written to a temporary file beside it, then moved into place.</param>
    /// <param name="tensors">Named tensors of any device; dtypes F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL.</param>
    /// <param name="metadata">Optional free-form strings stored under <c>__metadata__</c>.</param>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var full = Path.GetFullPath(path);
        var temporary = $"{full}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
            {
                Save(file, tensors, metadata);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Writes <paramref name="tensors"/> and <paramref name="metadata"/> to <paramref name="stream"/> at its position.</summary>
    /// <param name="stream">A writable stream; left open.</param>
    /// <param name="tensors">Named tensors of any device.</param>
    /// <param name="metadata">Optional free-form strings stored under <c>__metadata__</c>.</param>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian; big-endian hosts are not supported.");

        var ordered = tensors
            .Select(pair => (Name: pair.Key, Tensor: pair.Value, Type: Check(pair.Key, pair.Value)))
            .OrderByDescending(e => SafetensorsDType.Rank(e.Type))
            .ThenBy(e => e.Name, StringComparer.Ordinal)
            .ToList();
        var entries = new List<SafetensorsTensorInfo>(ordered.Count);
        long offset = 0;
        foreach (var (name, tensor, type) in ordered)
        {
            var bytes = checked(tensor.numel() * SafetensorsDType.Size(type));
            entries.Add(new SafetensorsTensorInfo(name, type, tensor.shape, offset, offset + bytes));
            offset += bytes;
        }

        stream.Write(SafetensorsHeader.Build(entries, metadata));
        foreach (var (_, tensor, _) in ordered) TensorBytes.Write(tensor, stream);
        stream.Flush();
    }

    /// <summary>Reads every tensor of the file at <paramref name="path"/> onto <paramref name="device"/> (CPU by default). The caller disposes them.</summary>
    /// <exception cref="InvalidDataException">The file is corrupt or truncated.</exception>
    public static Dictionary<string, Tensor> Load(string path, Device? device = null)
    {
        using var reader = SafetensorsReader.Open(path);
        return reader.ReadAll(device);
    }

    /// <summary>Reads only the <c>__metadata__</c> map of the file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is corrupt or truncated.</exception>
    public static IReadOnlyDictionary<string, string> LoadMetadata(string path)
    {
        using var reader = SafetensorsReader.Open(path);
        return reader.Metadata;
    }

    private static ElementType Check(string name, Tensor tensor)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("tensor names must be non-empty.");
        if (name == SafetensorsHeader.MetadataKey) throw new ArgumentException($"'{name}' is reserved for metadata and cannot name a tensor.");
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (!ScalarTypes.TryElementType(tensor.dtype, out var type) || !SafetensorsDType.IsSupported(type))
        {
            throw new ArgumentException($"tensor '{name}' has dtype {tensor.dtype}, which has no safetensors encoding here (supported: {SafetensorsDType.SupportedNames}).");
        }
        return type;
    }
}
