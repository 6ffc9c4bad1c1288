using DistributedAttention.Core.Runtime;
using static TorchSharp.torch;

namespace DistributedAttention.Model.Pretrained;

/// <summary>RMSNorm over the last dimension: <c>x / √(mean(x²) + ε) · w</c> (w already holds Gemma's 1 + w).</summary>
internal static class RmsNorm
{
    public static Tensor Apply(Tensor x, Tensor weight, double eps)
    {
        using var scope = NewDisposeScope();
        using var s = new ScalarScope();
        var variance = x.square().mean([-1], keepdim: true);
        return x.mul(variance.add_(s[eps], KeptScalars.One).rsqrt_()).mul_(weight).MoveToOuterDisposeScope();
    }
}
