using System.Buffers.Binary;

namespace DistributedAttention.Formats;

/// <summary>
/// A safetensors file opened for reading, without a tensor library: the header is parsed and
/// validated on open; each tensor's bytes are read on demand (so a runtime can load just the
/// weights it needs, and a client can read its inputs as plain arrays). Not thread-safe.
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    private readonly Stream stream;
    private readonly bool leaveOpen;
    private readonly string source;
    private readonly long dataStart;
    private readonly Dictionary<string, SafetensorsTensorInfo> byName;

    /// <summary>Reads and validates the header of a seekable <paramref name="stream"/> positioned at the file start.</summary>
    /// <param name="stream">The file contents; must be readable and seekable.</param>
    /// <param name="leaveOpen">Keep the stream open when this reader is disposed.</param>
    /// <param name="source">Name used in error messages (a file name).</param>
    /// <exception cref="InvalidDataException">The header is corrupt, or the data section is truncated.</exception>
    public SafetensorsFile(Stream stream, bool leaveOpen = false, string source = "safetensors stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead || !stream.CanSeek) throw new ArgumentException("the stream must be readable and seekable.", nameof(stream));
        this.stream = stream;
        this.leaveOpen = leaveOpen;
        this.source = source;
        try
        {
            var start = stream.Position;
            var available = stream.Length - start;
            if (available < 8) throw new InvalidDataException($"{source}: not a safetensors file: {available} bytes is shorter than the 8-byte header length.");
            Span<byte> prefix = stackalloc byte[8];
            stream.ReadExactly(prefix);
            var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > SafetensorsHeader.MaxHeaderBytes)
            {
                throw new InvalidDataException($"{source}: corrupt safetensors header: its length {headerLength} exceeds the {SafetensorsHeader.MaxHeaderBytes}-byte limit.");
            }
            if ((long)headerLength > available - 8)
            {
                throw new InvalidDataException($"{source}: corrupt safetensors header: its length {headerLength} is more than the {available - 8} bytes that follow.");
            }
            var json = new byte[headerLength];
            stream.ReadExactly(json);
            dataStart = start + 8 + (long)headerLength;
            var header = SafetensorsHeader.Parse(json, stream.Length - dataStart, source);
            Tensors = header.Tensors;
            Metadata = header.Metadata;
            byName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        }
        catch
        {
            if (!leaveOpen) stream.Dispose();
            throw;
        }
    }

    /// <summary>Opens the file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The header is corrupt, or the data section is truncated.</exception>
    public static SafetensorsFile Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        return new SafetensorsFile(file, leaveOpen: false, source: path);
    }

    /// <summary>The name used in error messages (the path).</summary>
    public string Source => source;

    /// <summary>The <c>__metadata__</c> string map (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor's header entry, in data order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>True when the file holds a tensor named <paramref name="name"/>.</summary>
    public bool Contains(string name) => byName.ContainsKey(name);

    /// <summary>The header entry of <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public SafetensorsTensorInfo GetInfo(string name)
    {
        if (byName.TryGetValue(name, out var info)) return info;
        var known = string.Join(", ", Tensors.Take(8).Select(t => t.Name)) + (Tensors.Count > 8 ? ", ..." : "");
        throw new KeyNotFoundException($"{source}: no tensor named '{name}' (the file holds {Tensors.Count}: {known}).");
    }

    /// <summary>The stream, positioned at the first byte of tensor <paramref name="name"/>'s data (<see cref="SafetensorsTensorInfo.ByteLength"/> bytes follow).</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public Stream Seek(string name)
    {
        var info = GetInfo(name);
        stream.Position = dataStart + info.DataStart;
        return stream;
    }

    /// <summary>Reads the raw little-endian bytes of tensor <paramref name="name"/> into <paramref name="destination"/>, which must be exactly its size.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    /// <exception cref="ArgumentException">The destination is not the tensor's size.</exception>
    public void Read(string name, Span<byte> destination)
    {
        var info = GetInfo(name);
        if (destination.Length != info.ByteLength) throw new ArgumentException($"tensor '{name}' holds {info.ByteLength} bytes; the destination has {destination.Length}.", nameof(destination));
        Seek(name).ReadExactly(destination);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!leaveOpen) stream.Dispose();
    }
}
