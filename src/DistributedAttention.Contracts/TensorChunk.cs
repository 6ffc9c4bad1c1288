using Orleans;

namespace DistributedAttention.Contracts;

/// <summary>
/// A block of rows of a named tensor: the one unit in which tensors move anywhere in the system
/// (inputs client → shard, outputs shard → client, recovery copies shard → shard, and ring
/// messages, which are row blocks of the flattened tensor). The sequence dimension is
/// <see cref="SequenceDim"/>; the block holds rows <see cref="RowStart"/> .. RowStart +
/// Shape[SequenceDim] − 1 of it. <see cref="TensorChunkRules"/> checks a chunk against its target.
/// </summary>
/// <param name="Name">Tensor name: "tokens", "q", "k", "v", "o", "lse", "hidden"…</param>
/// <param name="SequenceDim">Which dimension of <paramref name="Shape"/> is the sequence.</param>
/// <param name="RowStart">Absolute position of the block's first row.</param>
/// <param name="Shape">Shape of this block.</param>
/// <param name="Type">Element type of <paramref name="Data"/>.</param>
/// <param name="Data">Little-endian elements of the block, row-major.</param>
[GenerateSerializer, Immutable, Alias("distattn.TensorChunk")]
public sealed record TensorChunk(string Name, int SequenceDim, long RowStart, long[] Shape, ElementType Type, byte[] Data)
{
    /// <summary>Rows in this block.</summary>
    public long Rows => SequenceDim >= 0 && SequenceDim < Shape.Length ? Shape[SequenceDim] : 0;
}
