using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DistributedAttention.Model;

/// <summary>The position-wise feed-forward block: down(GELU(up(x))), with exact (erf) GELU.</summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    private readonly Linear up;
    private readonly Linear down;

    /// <summary>Creates up (d_model → d_ff) and down (d_ff → d_model) projections, both with bias.</summary>
    public FeedForward(int modelDim, int feedForwardDim) : base(nameof(FeedForward))
    {
        up = nn.Linear(modelDim, feedForwardDim);
        down = nn.Linear(feedForwardDim, modelDim);
        register_module("up", up);
        register_module("down", down);
    }

    /// <summary>Applies the block to every token independently.</summary>
    /// <param name="x">(..., d_model).</param>
    /// <returns>(..., d_model).</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return down.forward(nn.functional.gelu(up.forward(x))).MoveToOuterDisposeScope();
    }
}
