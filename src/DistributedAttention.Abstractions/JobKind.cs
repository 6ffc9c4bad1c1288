namespace DistributedAttention.Abstractions;

/// <summary>What a job computes.</summary>
[GenerateSerializer, Alias("distattn.JobKind")]
public enum JobKind
{
    /// <summary>The transformer model over token ids: per-token hidden states.</summary>
    Model = 0,

    /// <summary>One attention call over q, k, v tensors: o and lse.</summary>
    Attention = 1,

    /// <summary>A pretrained decoder from a model folder over token ids: hidden states and next-token scores.</summary>
    Pretrained = 2,
}
