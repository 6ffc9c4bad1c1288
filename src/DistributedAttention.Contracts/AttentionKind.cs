using Orleans;

namespace DistributedAttention.Contracts;

/// <summary>The attention mechanisms the core implements.</summary>
[GenerateSerializer, Alias("distattn.AttentionKind")]
public enum AttentionKind
{
    /// <summary>Exact full attention, computed blockwise with online softmax (returns lse).</summary>
    Full,

    /// <summary>Sliding window (Longformer), optional dilation and global tokens.</summary>
    Window,

    /// <summary>BigBird: window + global tokens + seeded random key blocks.</summary>
    BigBird,

    /// <summary>Linformer: seeded projection of the key/value length to a fixed size.</summary>
    Linformer,

    /// <summary>Performer FAVOR+: positive orthogonal random features (non-causal or causal).</summary>
    Performer,

    /// <summary>Transformer-XL: causal attention within a segment plus a memory of the previous tokens.</summary>
    TransformerXl,

    /// <summary>Compressive Transformer: Transformer-XL memory plus mean-pooled compressed memory.</summary>
    Compressive,

    /// <summary>
    /// Luna (linear unified nested attention): a seeded packed sequence of fixed length attends to
    /// the keys (pack), then every query attends to the packed keys and values (unpack). Causal:
    /// each query unpacks from the pack of the keys at or before it.
    /// </summary>
    Luna,

    /// <summary>
    /// Routing attention (learned dynamic sparsity): queries and keys go to the cluster of their
    /// nearest centroid (cosine); a query attends to the keys of its own cluster and to its own key.
    /// </summary>
    Routing,
}
