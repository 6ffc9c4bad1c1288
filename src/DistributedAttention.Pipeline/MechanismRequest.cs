using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;

namespace DistributedAttention.Pipeline;

/// <summary>
/// An attention mechanism as a user asks for it, by name and plain values (command-line flags or
/// HTTP query parameters with the same names), turned into a checked <see cref="AttentionSpec"/>.
/// Unset values take the defaults of <c>distattn</c>.
/// </summary>
public sealed record MechanismRequest
{
    /// <summary>full, window, bigbird, linformer, performer, xl, compressive, luna, routing; null for the caller's default.</summary>
    public string? Mechanism { get; init; }

    /// <summary>Keys visible left and right of a query, "L,R" or one number; "inf" unbounded; null for the default.</summary>
    public string? Window { get; init; }

    /// <summary>Window dilation.</summary>
    public int Dilation { get; init; } = 1;

    /// <summary>Queries see only keys at positions up to their own.</summary>
    public bool Causal { get; init; }

    /// <summary>BigBird block size.</summary>
    public int BlockSize { get; init; } = 64;

    /// <summary>BigBird random key blocks per query block.</summary>
    public int RandomBlocks { get; init; } = 3;

    /// <summary>Linformer projected length.</summary>
    public int ProjectedLength { get; init; } = 256;

    /// <summary>Luna packed length.</summary>
    public int PackedLength { get; init; } = 64;

    /// <summary>Routing attention clusters.</summary>
    public int Clusters { get; init; } = 8;

    /// <summary>Performer random features.</summary>
    public int Features { get; init; } = 256;

    /// <summary>Transformer-XL / compressive segment length.</summary>
    public int SegmentLength { get; init; } = 512;

    /// <summary>Transformer-XL / compressive memory length.</summary>
    public int MemoryLength { get; init; } = 512;

    /// <summary>Compressive memory: tokens pooled per slot.</summary>
    public int CompressionRate { get; init; } = 4;

    /// <summary>Compressive memory length in slots.</summary>
    public int CompressedLength { get; init; } = 128;

    /// <summary>Seed of BigBird blocks, Linformer projection, Performer features, Luna's packed queries and routing centroids.</summary>
    public ulong Seed { get; init; } = 0x5EED;

    /// <summary>Score scale (null: 1/sqrt(d)).</summary>
    public double? SoftmaxScale { get; init; }

    /// <summary>The checked spec.</summary>
    /// <param name="defaultKind">The mechanism when none is named.</param>
    /// <param name="defaultWindow">The window when none is given.</param>
    /// <param name="globalPositions">Global positions (window and BigBird).</param>
    /// <param name="prefix">How option names are written in messages ("--" on the command line, "" for query parameters).</param>
    /// <exception cref="ArgumentException">A value is invalid; the message names the option.</exception>
    public AttentionSpec Build(AttentionKind defaultKind, int defaultWindow, IReadOnlyList<long> globalPositions, string prefix = "--")
    {
        ArgumentNullException.ThrowIfNull(globalPositions);
        var kind = Mechanism is { } name ? ValueParsers.Mechanism(name, prefix + "mechanism") : defaultKind;
        var (left, right) = Window is null ? (defaultWindow, defaultWindow) : ValueParsers.Window(Window, prefix + "window");
        if (kind == AttentionKind.Full)
        {
            if (Window is not null) throw new ArgumentException($"{prefix}window does not apply to {prefix}mechanism full (it attends to every key); use {prefix}mechanism window.");
            (left, right) = (null, null);
        }
        if (globalPositions.Count > 0 && kind is not (AttentionKind.Window or AttentionKind.BigBird))
            throw new ArgumentException($"{prefix}global-positions apply to {prefix}mechanism window and bigbird only; {ValueParsers.MechanismName(kind)} attention has no global tokens.");
        var spec = new AttentionSpec
        {
            Kind = kind,
            WindowLeft = left,
            WindowRight = right,
            Dilation = Dilation,
            Causal = Causal,
            GlobalPositions = globalPositions,
            SoftmaxScale = SoftmaxScale,
            Seed = Seed,
            BlockSize = BlockSize,
            RandomBlocks = RandomBlocks,
            ProjectedLength = ProjectedLength,
            PackedLength = PackedLength,
            Clusters = Clusters,
            Features = Features,
            SegmentLength = SegmentLength,
            MemoryLength = MemoryLength,
            CompressionRate = CompressionRate,
            CompressedLength = CompressedLength,
        };
        try
        {
            spec.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"invalid {ValueParsers.MechanismName(kind)} attention: {e.Message}", e);
        }
        return spec;
    }
}
