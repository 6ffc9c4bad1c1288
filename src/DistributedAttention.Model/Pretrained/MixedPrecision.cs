using static TorchSharp.torch;

namespace DistributedAttention.Model.Pretrained;

/// <summary>
/// Matmuls in the weights' type, everything else in the activations': with bf16 weights a
/// projection takes its input rounded to bf16 and gives its output back in float32, so norms,
/// activations, the softmax and the residual stream stay float32 (as autocast does). With weights
/// of the activations' type these are no-ops.
/// </summary>
internal static class MixedPrecision
{
    /// <summary><paramref name="x"/> in <paramref name="weight"/>'s type (itself when they agree).</summary>
    public static Tensor In(Tensor x, Tensor weight) => x.dtype == weight.dtype ? x : x.to(weight.dtype);

    /// <summary>A matmul's <paramref name="output"/> in <paramref name="like"/>'s type.</summary>
    public static Tensor Out(Tensor output, Tensor like) => output.dtype == like.dtype ? output : output.to(like.dtype);

    /// <summary>linear(x, w, b) in w's type, returned in x's.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias) => Out(nn.functional.linear(In(x, weight), weight, bias), x);
}
