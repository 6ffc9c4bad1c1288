using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans;

namespace DistributedAttention.Contracts;

/// <summary>
/// Shape and initialisation of the transformer model. Each layer names its own
/// attention mechanism, so a model can mix e.g. window layers with full-attention layers.
/// </summary>
[GenerateSerializer, Immutable, Alias("distattn.TransformerOptions")]
public sealed record TransformerOptions
{
    private static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>Number of token ids the embedding knows.</summary>
    [Id(0)]
    public required int VocabSize { get; init; }

    /// <summary>Hidden size d_model.</summary>
    [Id(1)]
    public required int ModelDim { get; init; }

    /// <summary>Attention heads per layer; must divide <see cref="ModelDim"/>.</summary>
    [Id(2)]
    public required int Heads { get; init; }

    /// <summary>Number of transformer layers.</summary>
    [Id(3)]
    public required int Layers { get; init; }

    /// <summary>Inner size of the feed-forward block.</summary>
    [Id(4)]
    public required int FeedForwardDim { get; init; }

    /// <summary>Seed of the weight initialisation: same seed, bit-identical weights.</summary>
    [Id(5)]
    public ulong Seed { get; init; }

    /// <summary>Rotary embedding base θ (10000 in RoFormer and most models).</summary>
    [Id(6)]
    public double RopeBase { get; init; } = 10000;

    /// <summary>Epsilon of every LayerNorm.</summary>
    [Id(7)]
    public double LayerNormEps { get; init; } = 1e-5;

    /// <summary>One attention spec per layer, in layer order.</summary>
    [Id(8)]
    public required IReadOnlyList<AttentionSpec> LayerAttention { get; init; }

    /// <summary>Per-head dimension: <see cref="ModelDim"/> / <see cref="Heads"/>.</summary>
    [JsonIgnore]
    public int HeadDim => Heads > 0 ? ModelDim / Heads : 0;

    /// <summary>The same <paramref name="spec"/> for each of <paramref name="layers"/> layers.</summary>
    public static IReadOnlyList<AttentionSpec> Uniform(AttentionSpec spec, int layers) => Enumerable.Repeat(spec, layers).ToArray();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException(message);
        }

        Require(VocabSize >= 1, $"vocab size must be >= 1 (got {VocabSize}).");
        Require(ModelDim >= 1, $"model dim must be >= 1 (got {ModelDim}).");
        Require(Heads >= 1, $"heads must be >= 1 (got {Heads}).");
        Require(Layers >= 1, $"layers must be >= 1 (got {Layers}).");
        Require(FeedForwardDim >= 1, $"feed-forward dim must be >= 1 (got {FeedForwardDim}).");
        Require(ModelDim % Heads == 0, $"model dim {ModelDim} is not divisible by heads {Heads}.");
        Require(HeadDim % 2 == 0, $"head dim {HeadDim} (model dim {ModelDim} / heads {Heads}) is odd; rotary embeddings rotate pairs, so it must be even.");
        Require(double.IsFinite(RopeBase) && RopeBase > 1, $"rope base must be a finite number > 1 (got {RopeBase}).");
        Require(double.IsFinite(LayerNormEps) && LayerNormEps > 0, $"layer norm eps must be a positive finite number (got {LayerNormEps}).");
        Require(LayerAttention is not null, "layer attention specs are missing; give one spec per layer.");
        Require(LayerAttention!.Count == Layers, $"{LayerAttention.Count} layer attention specs for {Layers} layers; give exactly one spec per layer.");
        for (var i = 0; i < LayerAttention.Count; i++)
        {
            var spec = LayerAttention[i];
            Require(spec is not null, $"layer {i} attention spec is null.");
            try
            {
                spec!.Validate();
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"layer {i} attention ({spec!.Kind}): {e.Message}", e);
            }
        }
    }

    /// <summary>Equal when every setting is equal, lists element by element (records alone would compare list references).</summary>
    public bool Equals(TransformerOptions? other) => other is not null && (ReferenceEquals(this, other) || ToJson() == other.ToJson());

    /// <inheritdoc />
    public override int GetHashCode() => ToJson().GetHashCode(StringComparison.Ordinal);

    /// <summary>These options as JSON (enums by name), as stored in checkpoints.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Options from <see cref="ToJson"/> output; validated.</summary>
    /// <exception cref="ArgumentException">The JSON is malformed or describes invalid options.</exception>
    public static TransformerOptions FromJson(string json)
    {
        TransformerOptions? options;
        try
        {
            options = JsonSerializer.Deserialize<TransformerOptions>(json, Json);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"transformer options JSON is malformed: {e.Message}", nameof(json), e);
        }
        if (options is null) throw new ArgumentException("transformer options JSON is null.", nameof(json));
        options.Validate();
        return options;
    }
}
