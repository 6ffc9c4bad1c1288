using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans;

namespace DistributedAttention.Contracts;

/// <summary>
/// What one attention call computes. Positions are absolute positions in the whole sequence,
/// so a result never depends on how the sequence is split.
/// </summary>
/// <remarks>
/// Query <c>i</c> may see key <c>j</c> when <c>i - WindowLeft &lt;= j &lt;= i + WindowRight</c>
/// (a <c>null</c> side is unbounded) and, with <see cref="Dilation"/> δ, only when
/// <c>(j - i) mod δ == 0</c>. <see cref="Causal"/> adds <c>j &lt;= i</c>. Global tokens are
/// symmetric (Longformer): a global query sees every key and every query sees every global key,
/// both subject to causality.
/// </remarks>
[GenerateSerializer, Immutable, Alias("distattn.AttentionSpec")]
public sealed record AttentionSpec
{
    private static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>The mechanism.</summary>
    [Id(0)]
    public AttentionKind Kind { get; init; } = AttentionKind.Window;

    /// <summary>Keys visible to the left of a query; <c>null</c> is unbounded.</summary>
    [Id(1)]
    public int? WindowLeft { get; init; } = 256;

    /// <summary>Keys visible to the right of a query; <c>null</c> is unbounded. Ignored (0) when causal.</summary>
    [Id(2)]
    public int? WindowRight { get; init; } = 256;

    /// <summary>Window dilation δ ≥ 1: only keys at <c>i + k·δ</c> are visible.</summary>
    [Id(3)]
    public int Dilation { get; init; } = 1;

    /// <summary>Queries see only keys at positions ≤ their own.</summary>
    [Id(4)]
    public bool Causal { get; init; }

    /// <summary>Absolute positions of global tokens (window and BigBird).</summary>
    [Id(5)]
    public IReadOnlyList<long> GlobalPositions { get; init; } = [];

    /// <summary>Score scale; <c>null</c> means 1/sqrt(d).</summary>
    [Id(6)]
    public double? SoftmaxScale { get; init; }

    /// <summary>Seed of every random choice (BigBird blocks, Linformer projection, Performer features, Luna's packed queries, routing centroids).</summary>
    [Id(7)]
    public ulong Seed { get; init; } = 0x5EED;

    /// <summary>BigBird block size (queries and random keys come in blocks of this many tokens).</summary>
    [Id(8)]
    public int BlockSize { get; init; } = 64;

    /// <summary>BigBird random key blocks per query block.</summary>
    [Id(9)]
    public int RandomBlocks { get; init; } = 3;

    /// <summary>Linformer projected length k.</summary>
    [Id(10)]
    public int ProjectedLength { get; init; } = 256;

    /// <summary>Performer random feature count m.</summary>
    [Id(11)]
    public int Features { get; init; } = 256;

    /// <summary>Transformer-XL / compressive segment length S.</summary>
    [Id(12)]
    public int SegmentLength { get; init; } = 512;

    /// <summary>Transformer-XL / compressive memory length M (tokens before the segment that stay visible).</summary>
    [Id(13)]
    public int MemoryLength { get; init; } = 512;

    /// <summary>Compression rate c: this many older tokens pool into one compressed memory slot.</summary>
    [Id(14)]
    public int CompressionRate { get; init; } = 4;

    /// <summary>Compressed memory length Mc in slots.</summary>
    [Id(15)]
    public int CompressedLength { get; init; } = 128;

    /// <summary>Luna packed length l: the rows of the packed sequence every query attends to.</summary>
    [Id(16)]
    public int PackedLength { get; init; } = 64;

    /// <summary>Routing attention: number of clusters (centroids).</summary>
    [Id(17)]
    public int Clusters { get; init; } = 8;

    /// <summary>
    /// Routing attention: learned centroids, <see cref="Clusters"/> rows of the head dimension,
    /// row-major (training fills them by online k-means; fixed at inference). Empty: seeded
    /// random centroids from <see cref="Seed"/>.
    /// </summary>
    [Id(18)]
    public IReadOnlyList<float> Centroids { get; init; } = [];

    /// <summary>
    /// Soft-capping of the (scaled) scores, <c>c · tanh(s / c)</c> before the mask (Gemma 2's
    /// <c>attn_logit_softcapping</c>); <c>null</c>: none. Elementwise on each score, so exact across
    /// shards. Full and window attention only; pretrained checkpoints set it, no flag does.
    /// </summary>
    [Id(19)]
    public double? LogitSoftCap { get; init; }

    /// <summary>The effective right window: 0 when causal.</summary>
    public int? EffectiveRight => Causal ? 0 : WindowRight;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException(message);
        }

        Require(WindowLeft is null or >= 0, $"window left must be >= 0 (got {WindowLeft}).");
        Require(WindowRight is null or >= 0, $"window right must be >= 0 (got {WindowRight}).");
        Require(Dilation >= 1, $"dilation must be >= 1 (got {Dilation}).");
        Require(SoftmaxScale is null || (double.IsFinite(SoftmaxScale.Value) && SoftmaxScale.Value > 0),
            $"softmax scale must be a positive finite number (got {SoftmaxScale}).");
        Require(GlobalPositions.All(p => p >= 0), "global positions must be >= 0.");
        Require(LogitSoftCap is null || (double.IsFinite(LogitSoftCap.Value) && LogitSoftCap.Value > 0),
            $"logit soft-cap must be a positive finite number (got {LogitSoftCap}).");
        Require(LogitSoftCap is null || Kind == AttentionKind.Full || (Kind == AttentionKind.Window && GlobalPositions.Count == 0),
            $"logit soft-capping applies to full and window attention without global tokens (got {MechanismRegistry.NameOf(Kind)}{(GlobalPositions.Count > 0 ? " with global tokens" : "")}).");
        if (MechanismRegistry.For(Kind).Problems(this).FirstOrDefault() is { } problem) throw new ArgumentException(problem);
    }

    /// <summary>Equal when every setting is equal, lists element by element (records alone would compare list references).</summary>
    public bool Equals(AttentionSpec? other) => other is not null && (ReferenceEquals(this, other) || ToJson() == other.ToJson());

    /// <inheritdoc />
    public override int GetHashCode() => ToJson().GetHashCode(StringComparison.Ordinal);

    /// <summary>This spec as JSON (enums by name), as sent to the cluster.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>A spec from <see cref="ToJson"/> output; validated.</summary>
    /// <exception cref="ArgumentException">The JSON is malformed or describes an invalid spec.</exception>
    public static AttentionSpec FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        AttentionSpec? spec;
        try
        {
            spec = JsonSerializer.Deserialize<AttentionSpec>(json, Json);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"attention spec JSON is malformed: {e.Message}", nameof(json), e);
        }
        if (spec is null) throw new ArgumentException("attention spec JSON is null.", nameof(json));
        spec.Validate();
        return spec;
    }
}
