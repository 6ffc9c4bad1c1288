using DistributedAttention.Contracts;

namespace DistributedAttention.Formats;

/// <summary>A tensor announced to a <see cref="SafetensorsStreamWriter"/> before its data arrives.</summary>
/// <param name="Name">The tensor's name; non-empty and not <c>__metadata__</c>.</param>
/// <param name="DType">Its element type (any safetensors dtype; F32 for hidden states and attention outputs).</param>
/// <param name="Shape">Its shape; empty for a scalar.</param>
public sealed record SafetensorsDeclaration(string Name, ElementType DType, IReadOnlyList<long> Shape)
{
    /// <summary>An fp32 tensor of <paramref name="shape"/>.</summary>
    public static SafetensorsDeclaration Float32(string name, params long[] shape) => new(name, ElementType.Float32, shape);

    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => checked(a * b));
}
