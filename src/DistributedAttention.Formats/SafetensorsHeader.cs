using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace DistributedAttention.Formats;

/// <summary>
/// The JSON header of a safetensors file: <c>{name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}</c>,
/// preceded in the file by its byte length as an unsigned 64-bit little-endian integer.
/// </summary>
public sealed class SafetensorsHeader
{
    /// <summary>The reserved key of the free-form string map.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The largest header the reference implementation accepts (100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private SafetensorsHeader(IReadOnlyList<SafetensorsTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>Entries in data order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// Parses and validates a header the way the reference reader does: every entry's byte count
    /// matches its dtype and shape, and the entries tile the data section without gaps or overlaps.
    /// </summary>
    /// <param name="json">The header bytes (UTF-8 JSON, possibly padded with trailing spaces).</param>
    /// <param name="dataLength">Bytes in the file after the header.</param>
    /// <param name="source">File name for error messages.</param>
    public static SafetensorsHeader Parse(ReadOnlySpan<byte> json, long dataLength, string source)
    {
        InvalidDataException Corrupt(string what) => new($"{source}: corrupt safetensors header: {what}");

        if (json.Length == 0 || json[0] != (byte)'{') throw Corrupt("it does not start with '{'.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw Corrupt($"not valid JSON ({e.Message}).");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw Corrupt("the root is not a JSON object.");
            var tensors = new List<SafetensorsTensorInfo>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name)) throw Corrupt($"the name '{property.Name}' appears twice.");
                if (property.Name == MetadataKey)
                {
                    if (property.Value.ValueKind != JsonValueKind.Object) throw Corrupt($"{MetadataKey} is not an object.");
                    foreach (var item in property.Value.EnumerateObject())
                    {
                        if (item.Value.ValueKind != JsonValueKind.String) throw Corrupt($"{MetadataKey} value of '{item.Name}' is not a string.");
                        metadata[item.Name] = item.Value.GetString()!;
                    }
                    continue;
                }
                tensors.Add(ParseEntry(property, Corrupt));
            }

            tensors.Sort((a, b) => a.DataStart != b.DataStart ? a.DataStart.CompareTo(b.DataStart) : a.DataEnd.CompareTo(b.DataEnd));
            long end = 0;
            foreach (var t in tensors)
            {
                if (t.DataStart != end)
                {
                    throw Corrupt($"tensor '{t.Name}' data starts at byte {t.DataStart}, expected {end} (offsets must tile the data section without gaps or overlaps).");
                }
                end = t.DataEnd;
            }
            if (end > dataLength) throw new InvalidDataException($"{source}: safetensors file is truncated: the header describes {end} data bytes but only {dataLength} follow it.");
            if (end < dataLength) throw Corrupt($"{dataLength - end} bytes after the last tensor's data are not described by any tensor.");
            return new SafetensorsHeader(tensors, metadata);
        }
    }

    private static SafetensorsTensorInfo ParseEntry(JsonProperty property, Func<string, InvalidDataException> corrupt)
    {
        var name = property.Name;
        var entry = property.Value;
        if (entry.ValueKind != JsonValueKind.Object) throw corrupt($"entry '{name}' is not an object.");
        if (!entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw corrupt($"entry '{name}' has no string 'dtype'.");
        }
        var dtypeName = dtypeElement.GetString()!;
        if (!SafetensorsDType.TryParse(dtypeName, out var dtype))
        {
            throw corrupt($"tensor '{name}' has unknown or unsupported dtype '{dtypeName}' (supported: {SafetensorsDType.SupportedNames}).");
        }
        var shape = ReadLongs(entry, "shape", name, corrupt);
        if (shape.Any(s => s < 0)) throw corrupt($"tensor '{name}' has a negative dimension in shape [{string.Join(", ", shape)}].");
        var offsets = ReadLongs(entry, "data_offsets", name, corrupt);
        if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
        {
            throw corrupt($"tensor '{name}' has invalid data_offsets [{string.Join(", ", offsets)}] (need [begin, end] with 0 <= begin <= end).");
        }

        long expected;
        try
        {
            expected = checked(shape.Aggregate(1L, (a, b) => checked(a * b)) * SafetensorsDType.Size(dtype));
        }
        catch (OverflowException)
        {
            throw corrupt($"tensor '{name}' shape [{string.Join(", ", shape)}] is too large.");
        }
        if (offsets[1] - offsets[0] != expected)
        {
            throw corrupt($"tensor '{name}' has shape [{string.Join(", ", shape)}] and dtype {dtypeName} ({expected} bytes) but data_offsets [{offsets[0]}, {offsets[1]}] span {offsets[1] - offsets[0]} bytes.");
        }
        return new SafetensorsTensorInfo(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] ReadLongs(JsonElement entry, string field, string name, Func<string, InvalidDataException> corrupt)
    {
        if (!entry.TryGetProperty(field, out var array) || array.ValueKind != JsonValueKind.Array)
        {
            throw corrupt($"entry '{name}' has no array '{field}'.");
        }
        var values = new long[array.GetArrayLength()];
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out values[i++]))
            {
                throw corrupt($"entry '{name}' field '{field}' holds a non-integer.");
            }
        }
        return values;
    }

    /// <summary>
    /// The 8-byte length prefix and the header JSON for <paramref name="tensors"/> (already in
    /// data order), padded with spaces so the data section starts 8-byte aligned.
    /// </summary>
    public static byte[] Build(IReadOnlyList<SafetensorsTensorInfo> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using (var json = new Utf8JsonWriter(buffer, options))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            foreach (var t in tensors)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", SafetensorsDType.Name(t.DType));
                json.WriteStartArray("shape");
                foreach (var s in t.Shape) json.WriteNumberValue(s);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(t.DataStart);
                json.WriteNumberValue(t.DataEnd);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }

        var length = buffer.Length;
        var padded = (length + 7) / 8 * 8;
        if (padded > MaxHeaderBytes) throw new InvalidOperationException($"safetensors header would be {padded} bytes, over the {MaxHeaderBytes}-byte limit readers accept.");
        var bytes = new byte[8 + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded);
        buffer.GetBuffer().AsSpan(0, (int)length).CopyTo(bytes.AsSpan(8));
        bytes.AsSpan(8 + (int)length).Fill((byte)' ');
        return bytes;
    }
}
