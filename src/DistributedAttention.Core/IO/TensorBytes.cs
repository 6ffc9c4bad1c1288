using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.IO;

/// <summary>
/// Moves a tensor's raw bytes to and from a stream in bounded chunks, so tensors of any size
/// (including over 2 GB, the limit of one <see cref="Tensor.bytes"/> span) stream without a
/// full-size managed buffer, and device tensors go through a small host staging buffer.
/// </summary>
internal static class TensorBytes
{
    /// <summary>Bytes per chunk: large enough for full disk speed, small enough to stage.</summary>
    public const int ChunkBytes = 16 << 20;

    /// <summary>Writes the bytes of <paramref name="tensor"/> in row-major order.</summary>
    public static void Write(Tensor tensor, Stream stream)
    {
        using var scope = NewDisposeScope();
        var flat = tensor.detach().contiguous().view(-1);
        var total = flat.shape[0];
        var step = ChunkBytes / (int)flat.ElementSize;
        for (long offset = 0; offset < total; offset += step)
        {
            using var chunk = flat.narrow(0, offset, Math.Min(step, total - offset));
            if (chunk.device_type == DeviceType.CPU)
            {
                stream.Write(chunk.bytes);
            }
            else
            {
                using var host = chunk.cpu();
                stream.Write(host.bytes);
            }
        }
    }

    /// <summary>Reads a new tensor of <paramref name="shape"/> and <paramref name="dtype"/> from the stream's position.</summary>
    public static Tensor Read(Stream stream, ScalarType dtype, long[] shape, Device device)
    {
        using var scope = NewDisposeScope();
        var result = empty(shape, dtype: dtype, device: device);
        var flat = result.view(-1);
        var total = flat.shape[0];
        var step = ChunkBytes / (int)flat.ElementSize;
        var staging = device.type == DeviceType.CPU ? null : empty(Math.Min(step, total), dtype: dtype, device: CPU);
        for (long offset = 0; offset < total; offset += step)
        {
            var count = Math.Min(step, total - offset);
            using var chunk = flat.narrow(0, offset, count);
            if (staging is null)
            {
                stream.ReadExactly(chunk.bytes);
            }
            else
            {
                using var host = staging.narrow(0, 0, count);
                stream.ReadExactly(host.bytes);
                chunk.copy_(host);
            }
        }
        return result.MoveToOuterDisposeScope();
    }
}
