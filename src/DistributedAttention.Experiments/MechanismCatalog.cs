using DistributedAttention.Contracts;

namespace DistributedAttention.Experiments;

/// <summary>
/// One row of the results table: a mechanism at the experiments' settings. <see cref="For"/> gives
/// its spec at a sequence length (causal where the mechanism has a causal form); a mechanism
/// without one names the reason and runs non-causal in the speed columns.
/// </summary>
/// <param name="Name">The row's name.</param>
/// <param name="For">The spec at sequence length n and the window w of the preset.</param>
/// <param name="NoCausalForm">Why the mechanism cannot train a next-token model, or null.</param>
public sealed record MechanismEntry(string Name, Func<long, int, AttentionSpec> For, string? NoCausalForm = null)
{
    /// <summary>Whether <see cref="For"/> is causal.</summary>
    public bool Causal => NoCausalForm is null;
}

/// <summary>The survey's mechanisms, each at settings of comparable reach for a window w.</summary>
public static class MechanismCatalog
{
    /// <summary>Every row, in the table's order.</summary>
    public static IReadOnlyList<MechanismEntry> All { get; } =
    [
        new("full", (_, _) => new AttentionSpec { Kind = AttentionKind.Full, WindowLeft = null, WindowRight = null, Causal = true }),
        new("window", (_, w) => new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = w, WindowRight = 0, Causal = true }),
        new("window + global (Longformer)", (n, w) => new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = w, WindowRight = 0, Causal = true, GlobalPositions = Globals(n, 4 * w) }),
        new("strided (dilated)", (_, w) => new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = w, WindowRight = 0, Dilation = 4, Causal = true }),
        new("BigBird", (n, w) => new AttentionSpec { Kind = AttentionKind.BigBird, WindowLeft = w / 2, WindowRight = 0, BlockSize = Math.Max(1, w / 8), RandomBlocks = 2, Causal = true, GlobalPositions = Globals(n, 4 * w) }),
        new("Linformer", (n, w) => new AttentionSpec { Kind = AttentionKind.Linformer, ProjectedLength = w }, "its projection mixes future positions into every key"),
        new("Performer", (_, w) => new AttentionSpec { Kind = AttentionKind.Performer, Features = w, Causal = true }),
        new("Transformer-XL", (_, w) => new AttentionSpec { Kind = AttentionKind.TransformerXl, SegmentLength = w, MemoryLength = w, Causal = true }),
        new("compressive", (_, w) => new AttentionSpec { Kind = AttentionKind.Compressive, SegmentLength = w, MemoryLength = w / 2, CompressionRate = 4, CompressedLength = Math.Max(1, w / 4), Causal = true }),
        new("Luna", (_, w) => new AttentionSpec { Kind = AttentionKind.Luna, PackedLength = Math.Max(1, w / 4), Causal = true }),
        new("routing (learned)", (n, w) => new AttentionSpec { Kind = AttentionKind.Routing, Clusters = (int)Math.Clamp(n / (2L * w), 2, 4096), Causal = true }),
    ];

    /// <summary>
    /// The rows named in <paramref name="names"/> (case-insensitive), in the table's order.
    /// </summary>
    /// <exception cref="ArgumentException">A name is not a row; the message lists the rows.</exception>
    public static IReadOnlyList<MechanismEntry> Named(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var wanted = names.Select(n => n.Trim()).Where(n => n.Length > 0).ToList();
        var unknown = wanted.Where(n => !All.Any(m => string.Equals(m.Name, n, StringComparison.OrdinalIgnoreCase))).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"not a mechanism of the table: {string.Join(", ", unknown.Select(n => $"'{n}'"))}; the rows are {string.Join(", ", All.Select(m => $"'{m.Name}'"))}.");
        if (wanted.Count == 0) throw new ArgumentException("no mechanism named.");
        return [.. All.Where(m => wanted.Any(n => string.Equals(m.Name, n, StringComparison.OrdinalIgnoreCase)))];
    }

    /// <summary>Global tokens every <paramref name="every"/> positions of a sequence of n (position 0 included).</summary>
    private static long[] Globals(long n, long every)
    {
        var step = Math.Max(1, every);
        return [.. Enumerable.Range(0, (int)((n + step - 1) / step)).Select(i => i * step)];
    }
}
