using static TorchSharp.torch;

namespace DistributedAttention.Grains.Tests;

/// <summary>Tensor comparisons that dispose their intermediates.</summary>
internal static class TensorAssert
{
    /// <summary>Same shape and bit-equal values.</summary>
    public static bool Same(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var equal = a.eq(b);
        using var all = equal.all();
        return all.item<bool>();
    }
}
