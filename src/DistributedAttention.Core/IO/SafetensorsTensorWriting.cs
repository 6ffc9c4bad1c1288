using DistributedAttention.Formats;
using static TorchSharp.torch;

namespace DistributedAttention.Core.IO;

/// <summary>Tensors into a <see cref="SafetensorsStreamWriter"/>, streamed in bounded chunks from any device.</summary>
public static class SafetensorsTensorWriting
{
    /// <summary>Appends the elements of <paramref name="chunk"/> (any shape, any device, row-major) to tensor <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The chunk's dtype differs from the declared one.</exception>
    /// <exception cref="InvalidDataException">The chunk does not fit the declaration.</exception>
    /// <exception cref="InvalidOperationException">The writer is completed or disposed.</exception>
    public static void Write(this SafetensorsStreamWriter writer, string name, Tensor chunk)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(chunk);
        if (writer.Tensors.FirstOrDefault(t => t.Name == name) is { } declared && (!ScalarTypes.TryElementType(chunk.dtype, out var type) || type != declared.DType))
        {
            throw new ArgumentException($"tensor '{name}' was declared {SafetensorsDType.Name(declared.DType)} but a chunk of dtype {chunk.dtype} arrived.", nameof(chunk));
        }
        writer.Write(name, checked(chunk.numel() * chunk.ElementSize), stream => TensorBytes.Write(chunk, stream));
    }
}
