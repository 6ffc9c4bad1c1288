namespace DistributedAttention.Contracts;

/// <summary>
/// Everything the system knows of one mechanism that needs no tensor library: its name, the
/// parameters users set (with their defaults, descriptions and checks), what its result holds,
/// its cost, and its rows in the survey's results table. The command line, the HTTP API, the
/// experiments and the cluster's memory estimate all read it from <see cref="MechanismRegistry"/>;
/// its kernels (one device, and a shard of the ring) are registered beside it in the core.
/// </summary>
public sealed record MechanismDescriptor
{
    /// <summary>The kind it computes.</summary>
    public required AttentionKind Kind { get; init; }

    /// <summary>Its name on the command line and in the API ("bigbird").</summary>
    public required string Name { get; init; }

    /// <summary>Other names accepted for it ("longformer").</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>What it computes, one sentence.</summary>
    public required string Summary { get; init; }

    /// <summary>The settings it reads besides the window and the shared ones (causal, softmax scale).</summary>
    public IReadOnlyList<MechanismParameter> Parameters { get; init; } = [];

    /// <summary>Whether it is a banded window: the window and global tokens apply.</summary>
    public bool Windowed { get; init; }

    /// <summary>Whether its result has a log-sum-exp per query (every exact softmax does; Performer's features do not).</summary>
    public bool DefinesLse { get; init; } = true;

    /// <summary>Whether a shard holds whole rotating key/value blocks (Ring Attention), which the job's memory estimate adds.</summary>
    public bool HoldsRotatingBlocks { get; init; }

    /// <summary>Why it has no causal form, or null when it has one.</summary>
    public string? NoCausalForm { get; init; }

    /// <summary>The problems of its settings in a spec (empty when valid), each a message naming the setting.</summary>
    public Func<AttentionSpec, IEnumerable<string>> Problems { get; init; } = _ => [];

    /// <summary>
    /// (query, key) pairs scored per head over n tokens, before global tokens (which
    /// <see cref="MechanismRegistry.AttentionPairs"/> adds): what the FLOP count is made of.
    /// </summary>
    public required Func<AttentionSpec, long, double> AttentionPairs { get; init; }

    /// <summary>Its rows in the survey's results table, each at settings of comparable reach for a window w.</summary>
    public IReadOnlyList<SurveyRow> SurveyRows { get; init; } = [];
}

/// <summary>A row of the survey's results table: a mechanism at the experiments' settings.</summary>
/// <param name="Name">The row's name.</param>
/// <param name="For">The spec at sequence length n and the preset's window w.</param>
public sealed record SurveyRow(string Name, Func<long, int, AttentionSpec> For)
{
    /// <summary>Global tokens every <paramref name="every"/> positions of a sequence of n (position 0 included).</summary>
    public static long[] GlobalsEvery(long n, long every)
    {
        var step = Math.Max(1, every);
        return [.. Enumerable.Range(0, (int)((n + step - 1) / step)).Select(i => i * step)];
    }
}
