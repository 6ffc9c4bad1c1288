namespace DistributedAttention.Abstractions;

/// <summary>
/// One piece of a tensor sent from shard to shard. A tensor goes as rows of its flattened form
/// (<see cref="TensorChunk"/>s of at most the job's chunk size), so no message comes near
/// Orleans' MaxMessageBodySize; piece <see cref="Index"/> of <see cref="Count"/>.
/// </summary>
/// <param name="Tag">Names the message within a run: "attempt/layer/collective/…".</param>
/// <param name="From">The sending shard.</param>
/// <param name="Index">This piece's index.</param>
/// <param name="Count">Number of pieces of the tensor.</param>
/// <param name="Shape">Shape of the whole tensor.</param>
/// <param name="Chunk">Elements <c>Chunk.RowStart</c> .. of the flattened tensor, in the wire element type.</param>
[GenerateSerializer, Immutable, Alias("distattn.RingMessage")]
public sealed record RingMessage(string Tag, int From, int Index, int Count, long[] Shape, TensorChunk Chunk);
