using DistributedAttention.Contracts;

namespace DistributedAttention.Formats;

/// <summary>One tensor's entry in a safetensors header.</summary>
/// <param name="Name">The tensor's name, e.g. <c>layers.0.attn.q_proj.weight</c>.</param>
/// <param name="DType">Its element type.</param>
/// <param name="Shape">Its shape; empty for a scalar.</param>
/// <param name="DataStart">First byte of its data, relative to the start of the data section.</param>
/// <param name="DataEnd">One past its last byte, relative to the start of the data section.</param>
public sealed record SafetensorsTensorInfo(string Name, ElementType DType, IReadOnlyList<long> Shape, long DataStart, long DataEnd)
{
    /// <summary>Number of elements (1 for a scalar, 0 when any dimension is 0).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => checked(a * b));

    /// <summary>Size of its data in bytes.</summary>
    public long ByteLength => DataEnd - DataStart;
}
