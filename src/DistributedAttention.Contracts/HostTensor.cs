namespace DistributedAttention.Contracts;

/// <summary>
/// A tensor in ordinary memory: fp32 elements, row-major, with its shape. What a client hands
/// to and gets back from the cluster without any tensor library.
/// </summary>
public sealed record HostTensor
{
    /// <summary>A tensor of <paramref name="shape"/> over <paramref name="data"/> (not copied).</summary>
    /// <exception cref="ArgumentException">The element count does not match the shape.</exception>
    public HostTensor(long[] shape, float[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        var elements = TensorChunkRules.Elements(shape);
        if (elements != data.LongLength) throw new ArgumentException($"shape {TensorChunkRules.Format(shape)} has {elements} elements, but {data.LongLength} were given.");
        Shape = shape;
        Data = data;
    }

    /// <summary>The shape.</summary>
    public long[] Shape { get; }

    /// <summary>The elements, row-major.</summary>
    public float[] Data { get; }

    /// <summary>A tensor of zeros.</summary>
    /// <exception cref="ArgumentException">It would not fit one array.</exception>
    public static HostTensor Zeros(long[] shape)
    {
        var elements = TensorChunkRules.Elements(shape);
        if (elements > Array.MaxLength) throw new ArgumentException($"a tensor of shape {TensorChunkRules.Format(shape)} has {elements} elements, more than one array holds.");
        return new HostTensor(shape, new float[elements]);
    }
}
