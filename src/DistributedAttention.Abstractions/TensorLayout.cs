namespace DistributedAttention.Abstractions;

/// <summary>A whole input or output tensor of a job, as its chunks must fit it.</summary>
/// <param name="Name">Tensor name ("tokens", "q", "o"…).</param>
/// <param name="Shape">The whole tensor's shape.</param>
/// <param name="SequenceDim">The dimension the shards split.</param>
/// <param name="Type">Element type of its chunks.</param>
[GenerateSerializer, Immutable, Alias("distattn.TensorLayout")]
public sealed record TensorLayout(string Name, long[] Shape, int SequenceDim, ElementType Type)
{
    /// <summary>The shape of rows [start, start + rows) of this tensor.</summary>
    public long[] Rows(long rows)
    {
        var shape = (long[])Shape.Clone();
        shape[SequenceDim] = rows;
        return shape;
    }

    /// <summary>Bytes of one row (all other dimensions).</summary>
    public long RowBytes => TensorChunkRules.Elements(Rows(1)) * TensorChunkRules.ElementSize(Type);
}
