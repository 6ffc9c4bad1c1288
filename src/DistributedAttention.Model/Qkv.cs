using static TorchSharp.torch;

namespace DistributedAttention.Model;

/// <summary>
/// Queries, keys and values of one layer for a run of tokens, each (batch, heads, n, head_dim),
/// with rotary positions already applied to <see cref="Q"/> and <see cref="K"/>. The caller disposes it.
/// </summary>
/// <param name="Q">(batch, heads, n, head_dim) rotated queries, times the layer's <see cref="TransformerLayer.QueryScale"/>.</param>
/// <param name="K">(batch, heads, n, head_dim) rotated keys.</param>
/// <param name="V">(batch, heads, n, head_dim) values.</param>
public sealed record Qkv(Tensor Q, Tensor K, Tensor V) : IDisposable
{
    /// <summary>Moves all three tensors to the enclosing dispose scope.</summary>
    public Qkv MoveToOuterDisposeScope()
    {
        Q.MoveToOuterDisposeScope();
        K.MoveToOuterDisposeScope();
        V.MoveToOuterDisposeScope();
        return this;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Q.Dispose();
        K.Dispose();
        V.Dispose();
    }
}
