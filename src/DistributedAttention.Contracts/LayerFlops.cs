namespace DistributedAttention.Contracts;

/// <summary>
/// The useful floating-point operations of one transformer layer over a sequence: the q/k/v, output
/// and feed-forward matmuls (2 per multiply-add) and the attention's score and value products over
/// the (query, key) pairs its mechanism lets see each other. Masked-out work a kernel may still do,
/// norms, RoPE and the softmax are not counted, so FLOPs / seconds compared with a plain matmul's
/// rate says how close to the machine's roof a layer runs.
/// </summary>
public static class LayerFlops
{
    /// <summary>Useful FLOPs of layer <paramref name="layer"/> of <paramref name="model"/> over <paramref name="n"/> tokens.</summary>
    public static double Of(TransformerOptions model, int layer, long n)
    {
        ArgumentNullException.ThrowIfNull(model);
        double d = model.ModelDim;
        var perToken = 8 * d * d + 4 * d * model.FeedForwardDim;
        return perToken * n + 4 * d * AttentionPairs(model.LayerAttention[layer], n);
    }

    /// <summary>(query, key) pairs scored per head: each mechanism's own count (<see cref="MechanismRegistry.AttentionPairs"/>).</summary>
    public static double AttentionPairs(AttentionSpec spec, long n) => MechanismRegistry.AttentionPairs(spec, n);
}
