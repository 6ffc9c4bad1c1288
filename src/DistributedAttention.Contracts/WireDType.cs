using Orleans;

namespace DistributedAttention.Contracts;

/// <summary>Element type of tensors on the wire between shards. Results are always fp32.</summary>
[GenerateSerializer, Alias("distattn.WireDType")]
public enum WireDType
{
    /// <summary>IEEE fp32: exact; the default.</summary>
    Float32 = 0,

    /// <summary>IEEE fp16: half the bytes, ~1e-3 relative rounding on exchanged values.</summary>
    Float16 = 1,

    /// <summary>bfloat16: half the bytes, fp32's range, ~1e-2 relative rounding.</summary>
    BFloat16 = 2,
}
