using static TorchSharp.torch;

namespace DistributedAttention.Core.IO;

/// <summary>
/// The safetensors dtype names this project reads and writes, their TorchSharp types, and their
/// rank in the reference implementation's dtype order (its writer puts higher ranks first).
/// </summary>
internal static class SafetensorsDType
{
    private static readonly (string Name, ScalarType Type, int Size, int Rank)[] Table =
    [
        ("I64", ScalarType.Int64, 8, 9),
        ("F64", ScalarType.Float64, 8, 8),
        ("F32", ScalarType.Float32, 4, 7),
        ("I32", ScalarType.Int32, 4, 6),
        ("BF16", ScalarType.BFloat16, 2, 5),
        ("F16", ScalarType.Float16, 2, 4),
        ("I16", ScalarType.Int16, 2, 3),
        ("I8", ScalarType.Int8, 1, 2),
        ("U8", ScalarType.Byte, 1, 1),
        ("BOOL", ScalarType.Bool, 1, 0),
    ];

    /// <summary>The supported names, for error messages.</summary>
    public static string SupportedNames => string.Join(", ", Table.Select(e => e.Name));

    /// <summary>The TorchSharp type of a safetensors dtype name; false when unknown or unsupported.</summary>
    public static bool TryParse(string name, out ScalarType type)
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

    /// <summary>True when <paramref name="type"/> has a safetensors name here.</summary>
    public static bool IsSupported(ScalarType type) => Table.Any(e => e.Type == type);

    /// <summary>The safetensors name of <paramref name="type"/>.</summary>
    public static string Name(ScalarType type) => Find(type).Name;

    /// <summary>Bytes per element of <paramref name="type"/>.</summary>
    public static int Size(ScalarType type) => Find(type).Size;

    /// <summary>Write order: descending rank, which is also descending element size, keeps data aligned.</summary>
    public static int Rank(ScalarType type) => Find(type).Rank;

    private static (string Name, ScalarType Type, int Size, int Rank) Find(ScalarType type)
    {
        foreach (var entry in Table)
        {
            if (entry.Type == type) return entry;
        }
        throw new NotSupportedException($"dtype {type} has no safetensors encoding here (supported: {SupportedNames}).");
    }
}
