using DistributedAttention.Abstractions;
using static TorchSharp.torch;

namespace DistributedAttention.Client;

/// <summary>Cuts tensors into <see cref="TensorChunk"/>s of whole rows along the sequence dimension.</summary>
internal static class TensorChunks
{
    /// <summary>Rows per chunk so that one chunk stays within <paramref name="chunkBytes"/>.</summary>
    /// <exception cref="ArgumentException">One row alone is larger than <paramref name="chunkBytes"/>.</exception>
    public static long RowsPerChunk(long rowBytes, int chunkBytes, string name)
    {
        if (rowBytes > chunkBytes)
        {
            throw new ArgumentException($"one row of '{name}' is {rowBytes} bytes, more than the chunk size of {chunkBytes} bytes; raise the chunk size.");
        }
        return Math.Max(1, chunkBytes / Math.Max(1, rowBytes));
    }

    /// <summary>
    /// Rows [<paramref name="start"/>, <paramref name="end"/>) of <paramref name="source"/> along
    /// <paramref name="sequenceDim"/> as fp32 chunks of at most <paramref name="chunkBytes"/> bytes.
    /// Each chunk's bytes are made in a synchronous step; no tensor outlives its chunk.
    /// </summary>
    public static IEnumerable<TensorChunk> Split(Tensor source, string name, int sequenceDim, long start, long end, int chunkBytes)
    {
        var rowBytes = source.numel() / Math.Max(1, source.shape[sequenceDim]) * sizeof(float);
        var step = RowsPerChunk(rowBytes, chunkBytes, name);
        for (var row = start; row < end; row += step)
        {
            var rows = Math.Min(step, end - row);
            yield return Slice(source, name, sequenceDim, row, rows);
        }
    }

    private static TensorChunk Slice(Tensor source, string name, int sequenceDim, long row, long rows)
    {
        using var scope = NewDisposeScope();
        var block = source.narrow(sequenceDim, row, rows).to(ScalarType.Float32).cpu().contiguous();
        return new TensorChunk(name, sequenceDim, row, block.shape, block.bytes.ToArray());
    }

    /// <summary>Token ids [<paramref name="start"/>, <paramref name="start"/> + count) as int32 little-endian bytes.</summary>
    public static byte[] TokenBytes(int[] tokenIds, int start, int count)
    {
        var bytes = new byte[count * sizeof(int)];
        Buffer.BlockCopy(tokenIds, start * sizeof(int), bytes, 0, bytes.Length);
        return bytes;
    }
}
