using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// The output of an attention call: <see cref="Output"/> of shape (batch, heads, n, d) and,
/// where the mechanism defines one, the log-sum-exp of each query's scaled scores,
/// <see cref="Lse"/> of shape (batch, heads, n). A query that sees no key has
/// <c>lse = -inf</c> and a zero output row. The caller owns both tensors.
/// </summary>
/// <param name="Output">(batch, heads, n, d) attention output.</param>
/// <param name="Lse">(batch, heads, n) log-sum-exp, or <c>null</c> for mechanisms without a softmax normaliser (Performer).</param>
public sealed record AttentionResult(Tensor Output, Tensor? Lse) : IDisposable
{
    /// <summary>Moves both tensors to the enclosing dispose scope, so a kernel can return them.</summary>
    public AttentionResult MoveToOuterDisposeScope()
    {
        Output.MoveToOuterDisposeScope();
        Lse?.MoveToOuterDisposeScope();
        return this;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Output.Dispose();
        Lse?.Dispose();
    }
}
