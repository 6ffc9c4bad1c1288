namespace DistributedAttention.Abstractions;

/// <summary>
/// A block of rows of a named fp32 tensor, moving between client, coordinator and shards
/// (inputs, outputs, backups). The sequence dimension is <see cref="SequenceDim"/>; the block
/// holds rows <see cref="RowStart"/> .. RowStart + Shape[SequenceDim] − 1 of it.
/// </summary>
/// <param name="Name">Tensor name: "q", "k", "v", "o", "lse", "hidden", "x"…</param>
/// <param name="SequenceDim">Which dimension of <paramref name="Shape"/> is the sequence.</param>
/// <param name="RowStart">Absolute position of the block's first row.</param>
/// <param name="Shape">Shape of this block.</param>
/// <param name="Data">Little-endian data of the block, row-major: fp32, or int32 for token ids ("tokens").</param>
[GenerateSerializer, Immutable, Alias("distattn.TensorChunk")]
public sealed record TensorChunk(string Name, int SequenceDim, long RowStart, long[] Shape, byte[] Data);
