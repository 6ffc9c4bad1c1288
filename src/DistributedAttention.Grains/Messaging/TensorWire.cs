using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Messaging;

/// <summary>
/// Turns a tensor into <see cref="RingMessage"/> chunks of at most a given payload size in a
/// wire element type, and chunks back into an fp32 CPU tensor. Chunks hold whole elements, so
/// any chunk's bytes are a contiguous slice of the flattened tensor.
/// </summary>
public static class TensorWire
{
    /// <summary>The TorchSharp element type of a wire type.</summary>
    public static ScalarType ScalarTypeOf(WireDType wire) => wire switch
    {
        WireDType.Float32 => ScalarType.Float32,
        WireDType.Float16 => ScalarType.Float16,
        WireDType.BFloat16 => ScalarType.BFloat16,
        _ => throw new ArgumentOutOfRangeException(nameof(wire), wire, "unknown wire element type."),
    };

    /// <summary>Bytes per element of a wire type.</summary>
    public static int ElementSize(WireDType wire) => wire switch
    {
        WireDType.Float32 => 4,
        WireDType.Float16 or WireDType.BFloat16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(wire), wire, "unknown wire element type."),
    };

    /// <summary>
    /// Encodes <paramref name="tensor"/> (any shape and device) as chunks tagged
    /// <paramref name="tag"/> from shard <paramref name="from"/>. The chunks own copies of the
    /// data; the caller keeps the tensor. A tensor with no elements is one chunk with no data.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunkBytes"/> is smaller than one element.</exception>
    public static IReadOnlyList<RingMessage> Encode(Tensor tensor, string tag, int from, WireDType wire, int chunkBytes)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(tag);
        var size = ElementSize(wire);
        if (chunkBytes < size) throw new ArgumentOutOfRangeException(nameof(chunkBytes), chunkBytes, $"a chunk must hold at least one {wire} element ({size} bytes).");
        var shape = tensor.shape;
        var perChunk = (long)(chunkBytes / size);
        using var scope = NewDisposeScope();
        // Convert on the tensor's device first: a GPU then ships half the bytes to the host for fp16/bf16.
        var flat = tensor.detach().to(ScalarTypeOf(wire)).cpu().contiguous().reshape(-1);
        var total = flat.shape[0];
        if (total == 0) return [new RingMessage(tag, from, 0, 1, shape, wire, [])];
        var count = checked((int)((total + perChunk - 1) / perChunk));
        var messages = new RingMessage[count];
        for (var i = 0; i < count; i++)
        {
            var start = i * perChunk;
            using var part = flat.narrow(0, start, Math.Min(perChunk, total - start));
            messages[i] = new RingMessage(tag, from, i, count, shape, wire, part.bytes.ToArray());
        }
        return messages;
    }

    /// <summary>Number of elements of a shape.</summary>
    public static long Elements(IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"shape [{string.Join(", ", shape)}] has a negative dimension.", nameof(shape));
            n = checked(n * d);
        }
        return n;
    }

    /// <summary>
    /// Decodes the complete chunk set of one tensor (any order) into a new fp32 CPU tensor of the
    /// original shape, which the caller owns.
    /// </summary>
    /// <exception cref="ArgumentException">Chunks are missing, repeated or disagree with each other.</exception>
    public static Tensor Decode(IReadOnlyList<RingMessage> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (chunks.Count == 0) throw new ArgumentException("no chunks to decode.", nameof(chunks));
        var first = chunks[0];
        var ordered = new RingMessage?[first.Count];
        if (chunks.Count != first.Count) throw new ArgumentException($"tag '{first.Tag}': {chunks.Count} chunk(s) given, {first.Count} expected.", nameof(chunks));
        long bytes = 0;
        foreach (var chunk in chunks)
        {
            CheckSameTensor(first, chunk);
            if (chunk.Index < 0 || chunk.Index >= first.Count || ordered[chunk.Index] is not null)
                throw new ArgumentException($"tag '{first.Tag}': chunk {chunk.Index} is out of range or repeated.", nameof(chunks));
            ordered[chunk.Index] = chunk;
            bytes += chunk.Data.Length;
        }
        var size = ElementSize(first.DType);
        var elements = Elements(first.Shape);
        if (bytes != elements * size)
            throw new ArgumentException($"tag '{first.Tag}': {bytes} bytes for shape [{string.Join(", ", first.Shape)}] of {first.DType}; expected {elements * size}.", nameof(chunks));

        using var scope = NewDisposeScope();
        var wire = empty(elements, dtype: ScalarTypeOf(first.DType), device: CPU);
        long offset = 0;
        foreach (var chunk in ordered)
        {
            var n = chunk!.Data.Length / size;
            if (n == 0) continue;
            using var part = wire.narrow(0, offset, n);
            chunk.Data.CopyTo(part.bytes);
            offset += n;
        }
        var result = first.DType == WireDType.Float32 ? wire.reshape(first.Shape) : wire.to(ScalarType.Float32).reshape(first.Shape);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Throws unless <paramref name="chunk"/> belongs to the same tensor as <paramref name="first"/>.</summary>
    internal static void CheckSameTensor(RingMessage first, RingMessage chunk)
    {
        if (chunk.Tag != first.Tag || chunk.From != first.From || chunk.Count != first.Count || chunk.DType != first.DType || !chunk.Shape.AsSpan().SequenceEqual(first.Shape))
            throw new ArgumentException($"chunk {chunk.Index} of tag '{chunk.Tag}' from shard {chunk.From} disagrees with chunk {first.Index} (count, shape or element type differ).");
        if (chunk.Data.Length % ElementSize(chunk.DType) != 0)
            throw new ArgumentException($"chunk {chunk.Index} of tag '{chunk.Tag}' holds {chunk.Data.Length} bytes, not a whole number of {chunk.DType} elements.");
    }
}
