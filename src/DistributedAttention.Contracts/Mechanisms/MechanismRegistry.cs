namespace DistributedAttention.Contracts;

/// <summary>
/// The one list of mechanisms. A new mechanism is its <see cref="AttentionKind"/>, the spec field
/// it needs, a descriptor file beside these and its line below; its kernels register in the core
/// (<c>MechanismKernels</c>). Names, help, the command line's flags, the API's parameters, the
/// checks, the FLOP count and the survey's rows all come from here.
/// </summary>
public static class MechanismRegistry
{
    /// <summary>Every mechanism, in the order of <see cref="AttentionKind"/>.</summary>
    public static IReadOnlyList<MechanismDescriptor> All { get; } =
    [
        FullMechanism.Descriptor,
        WindowMechanism.Descriptor,
        BigBirdMechanism.Descriptor,
        LinformerMechanism.Descriptor,
        PerformerMechanism.Descriptor,
        SegmentMemoryMechanisms.TransformerXl,
        SegmentMemoryMechanisms.Compressive,
        LunaMechanism.Descriptor,
        RoutingMechanism.Descriptor,
    ];

    /// <summary>
    /// Every parameter users can set, each once (a parameter several mechanisms read, such as the
    /// seed, is one option): dilation and causal first, then each mechanism's own, then the seed
    /// and the softmax scale. The window and global positions are given apart (they have their own syntax).
    /// </summary>
    public static IReadOnlyList<MechanismParameter> Parameters { get; } =
    [
        SharedParameters.Dilation,
        SharedParameters.Causal,
        .. All.SelectMany(m => m.Parameters).Where(p => p != SharedParameters.Dilation && p != SharedParameters.Seed).Distinct(),
        SharedParameters.Seed,
        SharedParameters.SoftmaxScale,
    ];

    /// <summary>The accepted mechanism names, for help and errors ("full, window, …").</summary>
    public static string Names { get; } = string.Join(", ", All.Select(m => m.Name));

    /// <summary>The names of the windowed mechanisms, where global tokens apply ("window and bigbird").</summary>
    public static string WindowedNames { get; } = JoinWithAnd(All.Where(m => m.Windowed).Select(m => m.Name).ToList());

    /// <summary>The descriptor of <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentException">The kind is not a known mechanism.</exception>
    public static MechanismDescriptor For(AttentionKind kind) =>
        All.FirstOrDefault(m => m.Kind == kind) ?? throw new ArgumentException($"unknown attention kind {kind}.");

    /// <summary>The name of <paramref name="kind"/> ("xl" for Transformer-XL).</summary>
    public static string NameOf(AttentionKind kind) => For(kind).Name;

    /// <summary>The mechanism a user names (its name or an alias, any case).</summary>
    /// <param name="text">The name.</param>
    /// <param name="option">How the option is named in the error ("--mechanism").</param>
    /// <exception cref="ArgumentException">No mechanism has that name; the message lists the names.</exception>
    public static AttentionKind Parse(string text, string option = "--mechanism")
    {
        ArgumentNullException.ThrowIfNull(text);
        var name = text.Trim();
        var match = All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase) || m.Aliases.Any(a => string.Equals(a, name, StringComparison.OrdinalIgnoreCase)));
        return match?.Kind ?? throw new ArgumentException($"{option} '{text}' is not one of {Names}.");
    }

    /// <summary>The names of the mechanisms that read <paramref name="parameter"/>, or null for one every mechanism reads.</summary>
    public static IReadOnlyList<string>? ReadBy(MechanismParameter parameter)
    {
        var users = All.Where(m => m.Parameters.Contains(parameter)).Select(m => m.Name).ToList();
        return users.Count == 0 ? null : users;
    }

    /// <summary>
    /// (query, key) pairs scored per head by <paramref name="spec"/> over <paramref name="n"/> tokens:
    /// exact for full and banded windows; a global token adds its row and its column (the overlap
    /// with the band is ignored); the others count the keys each query is scored against.
    /// </summary>
    public static double AttentionPairs(AttentionSpec spec, long n)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var mechanism = For(spec.Kind);
        var globals = mechanism.Windowed ? spec.GlobalPositions.Count : 0;
        return mechanism.AttentionPairs(spec, n) + (2.0 * globals * n);
    }

    private static string JoinWithAnd(IReadOnlyList<string> names) =>
        names.Count <= 1 ? string.Concat(names) : $"{string.Join(", ", names.Take(names.Count - 1))} and {names[^1]}";
}
