using DistributedAttention.Contracts;
using static TorchSharp.torch;

namespace DistributedAttention.Core.IO;

/// <summary>Element types (files, chunks) and TorchSharp's scalar types, one to one.</summary>
public static class ScalarTypes
{
    private static readonly (ElementType Element, ScalarType Scalar)[] Pairs =
    [
        (ElementType.Float32, ScalarType.Float32),
        (ElementType.Float16, ScalarType.Float16),
        (ElementType.BFloat16, ScalarType.BFloat16),
        (ElementType.Int32, ScalarType.Int32),
        (ElementType.Int64, ScalarType.Int64),
        (ElementType.Float64, ScalarType.Float64),
        (ElementType.Int16, ScalarType.Int16),
        (ElementType.Int8, ScalarType.Int8),
        (ElementType.UInt8, ScalarType.Byte),
        (ElementType.Bool, ScalarType.Bool),
    ];

    /// <summary>The TorchSharp type of <paramref name="type"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An unknown element type.</exception>
    public static ScalarType Of(ElementType type)
    {
        foreach (var (element, scalar) in Pairs)
        {
            if (element == type) return scalar;
        }
        throw new ArgumentOutOfRangeException(nameof(type), type, "unknown element type.");
    }

    /// <summary>The element type of <paramref name="type"/>, or false when it has none (complex types, for one).</summary>
    public static bool TryElementType(ScalarType type, out ElementType element)
    {
        foreach (var (e, scalar) in Pairs)
        {
            if (scalar == type)
            {
                element = e;
                return true;
            }
        }
        element = default;
        return false;
    }
}
