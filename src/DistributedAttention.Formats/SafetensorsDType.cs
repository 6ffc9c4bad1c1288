using DistributedAttention.Contracts;

namespace DistributedAttention.Formats;

/// <summary>
/// The safetensors dtype names this project reads and writes, their element types, and their
/// rank in the reference implementation's dtype order (its writer puts higher ranks first).
/// </summary>
public static class SafetensorsDType
{
    private static readonly (string Name, ElementType Type, int Size, int Rank)[] Table =
    [
        ("I64", ElementType.Int64, 8, 9),
        ("F64", ElementType.Float64, 8, 8),
        ("F32", ElementType.Float32, 4, 7),
        ("I32", ElementType.Int32, 4, 6),
        ("BF16", ElementType.BFloat16, 2, 5),
        ("F16", ElementType.Float16, 2, 4),
        ("I16", ElementType.Int16, 2, 3),
        ("I8", ElementType.Int8, 1, 2),
        ("U8", ElementType.UInt8, 1, 1),
        ("BOOL", ElementType.Bool, 1, 0),
    ];

    /// <summary>The supported names, for error messages.</summary>
    public static string SupportedNames => string.Join(", ", Table.Select(e => e.Name));

    /// <summary>The element type of a safetensors dtype name; false when unknown or unsupported.</summary>
    public static bool TryParse(string name, out ElementType type)
    {
        foreach (var entry in Table)
        {
            if (entry.Name == name)
            {
                type = entry.Type;
                return true;
            }
        }
        type = default;
        return false;
    }

    /// <summary>True when <paramref name="type"/> has a safetensors name.</summary>
    public static bool IsSupported(ElementType type) => Table.Any(e => e.Type == type);

    /// <summary>The safetensors name of <paramref name="type"/>.</summary>
    public static string Name(ElementType type) => Find(type).Name;

    /// <summary>Bytes per element of <paramref name="type"/>.</summary>
    public static int Size(ElementType type) => Find(type).Size;

    /// <summary>Write order: descending rank, which is also descending element size, keeps data aligned.</summary>
    public static int Rank(ElementType type) => Find(type).Rank;

    private static (string Name, ElementType Type, int Size, int Rank) Find(ElementType type)
    {
        foreach (var entry in Table)
        {
            if (entry.Type == type) return entry;
        }
        throw new NotSupportedException($"element type {type} has no safetensors encoding (supported: {SupportedNames}).");
    }
}
