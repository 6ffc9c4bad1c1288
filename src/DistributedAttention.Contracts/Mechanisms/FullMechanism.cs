namespace DistributedAttention.Contracts;

/// <summary>Exact full attention (Ring Attention across shards).</summary>
internal static class FullMechanism
{
    public static MechanismDescriptor Descriptor { get; } = new()
    {
        Kind = AttentionKind.Full,
        Name = "full",
        Summary = "Exact attention to every key (causal: every earlier key), blockwise with online softmax.",
        HoldsRotatingBlocks = true,
        AttentionPairs = (spec, n) => spec.Causal ? n * (n + 1.0) / 2 : (double)n * n,
        SurveyRows = [new("full", (_, _) => new AttentionSpec { Kind = AttentionKind.Full, WindowLeft = null, WindowRight = null, Causal = true })],
    };
}
