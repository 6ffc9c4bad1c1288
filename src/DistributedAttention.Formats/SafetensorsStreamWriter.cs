namespace DistributedAttention.Formats;

/// <summary>
/// Writes a safetensors file whose tensors arrive in pieces: the tensors (name, dtype, shape)
/// and metadata are declared up front, the header is written at once, then each tensor's data
/// is appended in declaration order, in chunks of any size. Memory stays bounded by one chunk,
/// so a (10⁶, 64) fp32 hidden-state tensor streams from the cluster straight to disk. Needs no
/// tensor library (DistributedAttention.Core adds a tensor overload).
/// </summary>
/// <remarks>
/// Every tensor must receive exactly its declared byte count: a chunk that overruns it, data for
/// a tensor before the previous one is complete, or <see cref="Complete"/> with bytes missing
/// throws <see cref="InvalidDataException"/> naming the tensor and the counts. The file is written
/// beside <c>path</c> under a temporary name and moved into place by <see cref="Complete"/>;
/// disposing without completing deletes it, so a failed job never leaves a truncated file.
/// Not thread-safe.
/// </remarks>
public sealed class SafetensorsStreamWriter : IDisposable
{
    private readonly string path;
    private readonly string temporary;
    private readonly SafetensorsTensorInfo[] entries;
    private readonly Dictionary<string, int> indexByName;
    private FileStream? file;
    private int current;
    private long received;
    private bool completed;

    /// <summary>Creates the temporary file and writes the header.</summary>
    /// <param name="path">Destination file, replaced on <see cref="Complete"/>.</param>
    /// <param name="tensors">The tensors in data order. Declare larger element types first (e.g. F32 before F16) so every tensor's data stays aligned to its element size.</param>
    /// <param name="metadata">Optional strings stored under <c>__metadata__</c>.</param>
    /// <exception cref="ArgumentException">A name is empty, reserved or repeated, a dtype is unsupported, a dimension is negative, or a tensor would start misaligned.</exception>
    public SafetensorsStreamWriter(string path, IReadOnlyList<SafetensorsDeclaration> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian; big-endian hosts are not supported.");

        entries = Plan(tensors);
        indexByName = entries.Select((e, i) => (e.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        this.path = Path.GetFullPath(path);
        temporary = $"{this.path}.{Guid.NewGuid():N}.tmp";
        file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
        try
        {
            file.Write(SafetensorsHeader.Build(entries, metadata));
            SkipEmpty();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The declared tensors with their data offsets, in data order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors => entries;

    /// <summary>The tensor the next bytes belong to; <c>null</c> once every tensor is complete.</summary>
    public string? CurrentTensor => current < entries.Length ? entries[current].Name : null;

    /// <summary>Bytes the current tensor still expects (0 once every tensor is complete).</summary>
    public long RemainingBytes => current < entries.Length ? entries[current].ByteLength - received : 0;

    /// <summary>Appends raw little-endian bytes to tensor <paramref name="name"/>, which must be the current one.</summary>
    /// <exception cref="InvalidDataException">The bytes do not fit the declaration (see the class remarks).</exception>
    /// <exception cref="InvalidOperationException">The writer is completed or disposed.</exception>
    public void Write(string name, ReadOnlySpan<byte> data)
    {
        Reserve(name, data.Length);
        file!.Write(data);
        Advance(data.Length);
    }

    /// <summary>Appends raw little-endian bytes to tensor <paramref name="name"/>, which must be the current one.</summary>
    /// <exception cref="InvalidDataException">The bytes do not fit the declaration (see the class remarks).</exception>
    /// <exception cref="InvalidOperationException">The writer is completed or disposed.</exception>
    public async ValueTask WriteAsync(string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        Reserve(name, data.Length);
        await file!.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        Advance(data.Length);
    }

    /// <summary>
    /// Appends <paramref name="byteCount"/> bytes to tensor <paramref name="name"/> (the current
    /// one), which <paramref name="write"/> writes to the file's stream: how a tensor library
    /// streams a tensor's chunks in without a managed copy. The count is checked before anything is written.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes do not fit the declaration (see the class remarks).</exception>
    /// <exception cref="InvalidOperationException">The writer is completed or disposed.</exception>
    public void Write(string name, long byteCount, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        Reserve(name, byteCount);
        write(file!);
        Advance(byteCount);
    }

    /// <summary>Checks that every tensor is complete, flushes, and moves the file into place.</summary>
    /// <exception cref="InvalidDataException">A tensor has not received all its bytes; the message names it.</exception>
    /// <exception cref="InvalidOperationException">The writer is already completed or disposed.</exception>
    public void Complete()
    {
        EnsureOpen();
        if (current < entries.Length)
        {
            var entry = entries[current];
            var missing = entries.Length - current - 1;
            throw new InvalidDataException(
                $"tensor '{entry.Name}' received {received} of its {entry.ByteLength} bytes ({Describe(entry)})"
                + (missing > 0 ? $", and {missing} later tensor(s) received nothing." : "."));
        }
        file!.Flush();
        file.Dispose();
        file = null;
        File.Move(temporary, path, overwrite: true);
        completed = true;
    }

    /// <summary>Closes the file; without <see cref="Complete"/>, deletes the partial file.</summary>
    public void Dispose()
    {
        if (file is null) return;
        file.Dispose();
        file = null;
        if (!completed) File.Delete(temporary);
    }

    private static SafetensorsTensorInfo[] Plan(IReadOnlyList<SafetensorsDeclaration> tensors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var result = new SafetensorsTensorInfo[tensors.Count];
        long offset = 0;
        for (var i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i] ?? throw new ArgumentException($"tensor declaration {i} is null.", nameof(tensors));
            if (string.IsNullOrEmpty(t.Name)) throw new ArgumentException($"tensor declaration {i} has an empty name.", nameof(tensors));
            if (t.Name == SafetensorsHeader.MetadataKey) throw new ArgumentException($"'{t.Name}' is reserved for metadata and cannot name a tensor.", nameof(tensors));
            if (!names.Add(t.Name)) throw new ArgumentException($"tensor '{t.Name}' is declared twice.", nameof(tensors));
            if (!SafetensorsDType.IsSupported(t.DType))
            {
                throw new ArgumentException($"tensor '{t.Name}' has dtype {t.DType}, which has no safetensors encoding here (supported: {SafetensorsDType.SupportedNames}).", nameof(tensors));
            }
            if (t.Shape.Any(s => s < 0)) throw new ArgumentException($"tensor '{t.Name}' has a negative dimension in shape [{string.Join(", ", t.Shape)}].", nameof(tensors));
            var size = SafetensorsDType.Size(t.DType);
            // Readers map data in place; a misaligned start would break zero-copy views.
            if (offset % size != 0)
            {
                throw new ArgumentException($"tensor '{t.Name}' ({SafetensorsDType.Name(t.DType)}) would start at byte {offset}, not a multiple of its element size {size}; declare tensors with larger element types first.", nameof(tensors));
            }
            var bytes = checked(t.ElementCount * size);
            result[i] = new SafetensorsTensorInfo(t.Name, t.DType, [.. t.Shape], offset, offset + bytes);
            offset += bytes;
        }
        return result;
    }

    private void Reserve(string name, long bytes)
    {
        ArgumentNullException.ThrowIfNull(name);
        EnsureOpen();
        if (!indexByName.TryGetValue(name, out var index))
        {
            throw new InvalidDataException($"data arrived for tensor '{name}', which was not declared (declared: {string.Join(", ", entries.Select(e => e.Name))}).");
        }
        if (bytes == 0) return;
        if (index < current || current == entries.Length)
        {
            throw new InvalidDataException($"tensor '{name}' already received all its {entries[index].ByteLength} bytes ({Describe(entries[index])}); {bytes} more arrived.");
        }
        var entry = entries[current];
        if (index > current)
        {
            throw new InvalidDataException($"data arrived for tensor '{name}' while tensor '{entry.Name}' has received only {received} of its {entry.ByteLength} bytes; tensors are written in declaration order.");
        }
        if (bytes > entry.ByteLength - received)
        {
            throw new InvalidDataException($"tensor '{name}' expects {entry.ByteLength} bytes ({Describe(entry)}) and has {received}; a chunk of {bytes} bytes would overrun it by {received + bytes - entry.ByteLength}.");
        }
    }

    private void Advance(long bytes)
    {
        received += bytes;
        if (current < entries.Length && received == entries[current].ByteLength)
        {
            current++;
            received = 0;
            SkipEmpty();
        }
    }

    private void SkipEmpty()
    {
        while (current < entries.Length && entries[current].ByteLength == 0) current++;
    }

    private void EnsureOpen()
    {
        if (completed) throw new InvalidOperationException($"the safetensors file {path} is already complete.");
        if (file is null) throw new ObjectDisposedException(nameof(SafetensorsStreamWriter));
    }

    private static string Describe(SafetensorsTensorInfo entry) => $"{SafetensorsDType.Name(entry.DType)} [{string.Join(", ", entry.Shape)}]";
}
