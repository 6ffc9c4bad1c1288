using DistributedAttention.Contracts;

namespace DistributedAttention.Abstractions;

/// <summary>
/// One chunk of a tensor sent from shard to shard. A tensor larger than the chunk size goes
/// as several messages with the same tag (chunk <see cref="Index"/> of <see cref="Count"/>),
/// so no message comes near Orleans' MaxMessageBodySize.
/// </summary>
/// <param name="Tag">Names the message within a run: "attempt/layer/collective/…".</param>
/// <param name="From">The sending shard.</param>
/// <param name="Index">This chunk's index.</param>
/// <param name="Count">Number of chunks of the tensor.</param>
/// <param name="Shape">Shape of the whole tensor.</param>
/// <param name="DType">Element type of <paramref name="Data"/>.</param>
/// <param name="Data">Raw little-endian bytes of this chunk (a contiguous slice of the flattened tensor).</param>
[GenerateSerializer, Immutable, Alias("distattn.RingMessage")]
public sealed record RingMessage(string Tag, int From, int Index, int Count, long[] Shape, WireDType DType, byte[] Data);
