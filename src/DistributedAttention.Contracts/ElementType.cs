using Orleans;

namespace DistributedAttention.Contracts;

/// <summary>Element type of the bytes a <see cref="TensorChunk"/> carries (little-endian: fp32, fp16, bf16, int32), and of a tensor in a file (all of them).</summary>
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

    /// <summary>int64 (files only: never on the wire).</summary>
    Int64 = 4,

    /// <summary>IEEE fp64 (files only).</summary>
    Float64 = 5,

    /// <summary>int16 (files only).</summary>
    Int16 = 6,

    /// <summary>int8 (files only).</summary>
    Int8 = 7,

    /// <summary>uint8 (files only).</summary>
    UInt8 = 8,

    /// <summary>bool, one byte (files only).</summary>
    Bool = 9,
}
