using System.Runtime.InteropServices;
using DistributedAttention.Contracts;

namespace DistributedAttention.Formats;

/// <summary>fp32 tensors of a safetensors file as <see cref="HostTensor"/>s (plain arrays), read and written in bounded pieces.</summary>
public static class SafetensorsHostTensors
{
    /// <summary>Elements per piece: 16 MiB of fp32.</summary>
    private const int PieceElements = 4 << 20;

    /// <summary>Reads F32 tensor <paramref name="name"/> as a <see cref="HostTensor"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    /// <exception cref="InvalidDataException">The tensor is not F32, or larger than one array holds.</exception>
    public static HostTensor ReadFloat32(this SafetensorsFile file, string name)
    {
        ArgumentNullException.ThrowIfNull(file);
        var info = file.GetInfo(name);
        if (info.DType != ElementType.Float32) throw new InvalidDataException($"{file.Source}: tensor '{name}' is {SafetensorsDType.Name(info.DType)}, not F32.");
        if (info.ElementCount > Array.MaxLength) throw new InvalidDataException($"{file.Source}: tensor '{name}' has {info.ElementCount} elements, more than one array holds.");
        var data = new float[info.ElementCount];
        var stream = file.Seek(name);
        for (var offset = 0; offset < data.Length; offset += PieceElements)
        {
            stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan(offset, Math.Min(PieceElements, data.Length - offset))));
        }
        return new HostTensor([.. info.Shape], data);
    }

    /// <summary>Appends <paramref name="tensor"/>'s elements to the F32 tensor <paramref name="name"/> of <paramref name="writer"/>.</summary>
    /// <exception cref="InvalidDataException">They do not fit the declaration.</exception>
    public static void Write(this SafetensorsStreamWriter writer, string name, HostTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(tensor);
        for (var offset = 0; offset < tensor.Data.Length; offset += PieceElements)
        {
            writer.Write(name, MemoryMarshal.AsBytes(tensor.Data.AsSpan(offset, Math.Min(PieceElements, tensor.Data.Length - offset))));
        }
    }
}
