namespace DistributedAttention.Contracts;

/// <summary>Parameters several mechanisms read; each is one option, whichever mechanisms list it.</summary>
public static class SharedParameters
{
    /// <summary>Queries see only keys at positions up to their own.</summary>
    public static MechanismParameter Causal { get; } = MechanismParameter.Flag("causal", "Queries see only keys at positions <= their own.", s => s.Causal, (s, v) => s with { Causal = v });

    /// <summary>The score scale.</summary>
    public static MechanismParameter SoftmaxScale { get; } = MechanismParameter.Number("softmax-scale", "Score scale.", s => s.SoftmaxScale, (s, v) => s with { SoftmaxScale = v }, unset: "1/sqrt(d)");

    /// <summary>The window's dilation.</summary>
    public static MechanismParameter Dilation { get; } = MechanismParameter.Int("dilation", "Window dilation: only keys at i + k·D are visible.", s => s.Dilation, (s, v) => s with { Dilation = v });

    /// <summary>The seed of every random choice.</summary>
    public static MechanismParameter Seed { get; } = MechanismParameter.UInt64("seed", "Seed of BigBird blocks, Linformer projection, Performer features, Luna's packed queries and routing centroids.", s => s.Seed, (s, v) => s with { Seed = v });
}
