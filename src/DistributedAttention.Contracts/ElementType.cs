using Orleans;

namespace DistributedAttention.Contracts;

/// <summary>Element type of the bytes a <see cref="TensorChunk"/> carries (little-endian).</summary>
[GenerateSerializer, Alias("distattn.ElementType")]
public enum ElementType
{
    /// <summary>IEEE fp32.</summary>
    Float32 = 0,

    /// <summary>IEEE fp16.</summary>
    Float16 = 1,

    /// <summary>bfloat16.</summary>
    BFloat16 = 2,

    /// <summary>int32 (token ids).</summary>
    Int32 = 3,
}
