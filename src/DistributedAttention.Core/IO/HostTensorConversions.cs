using DistributedAttention.Contracts;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.IO;

/// <summary>Between TorchSharp tensors and the torch-free <see cref="HostTensor"/> that clients use.</summary>
public static class HostTensorConversions
{
    /// <summary>A copy of <paramref name="tensor"/> (any device, floating point) as fp32 host memory.</summary>
    public static HostTensor ToHost(this Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var scope = NewDisposeScope();
        var host = tensor.detach().to(ScalarType.Float32).cpu().contiguous();
        return new HostTensor(host.shape, host.data<float>().ToArray());
    }

    /// <summary>A new fp32 CPU tensor with a copy of <paramref name="host"/>'s elements; the caller disposes it.</summary>
    public static Tensor ToTorch(this HostTensor host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return torch.tensor(host.Data, host.Shape, dtype: ScalarType.Float32);
    }
}
