using DistributedAttention.Contracts;

namespace DistributedAttention.Pipeline;

/// <summary>
/// The model and mechanism a book runs through, however it was asked for (command-line flags or
/// HTTP query parameters, which share their names: layers, model-dim, heads, ffn-dim, model-seed,
/// global-every, max-tokens, encoding).
/// </summary>
/// <param name="Layers">Transformer layers.</param>
/// <param name="ModelDim">d_model.</param>
/// <param name="Heads">Heads.</param>
/// <param name="FeedForwardDim">Feed-forward inner size.</param>
/// <param name="ModelSeed">Weight seed.</param>
/// <param name="GlobalEvery">Every K-th token is global besides chapter starts (0: chapter starts only).</param>
/// <param name="MaxTokens">Process only this many tokens; <c>null</c> for all.</param>
/// <param name="Attention">Every layer's mechanism; global positions are filled in from the book.</param>
public sealed record BookJobSettings(int Layers, int ModelDim, int Heads, int FeedForwardDim, ulong ModelSeed, int GlobalEvery, int? MaxTokens, AttentionSpec Attention)
{
    /// <summary>The defaults of <c>distattn process</c>: 2 layers, d_model 64, 4 heads, window ±128.</summary>
    public static BookJobSettings Default { get; } = new(2, 64, 4, 256, 1, 0, null, new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 128, WindowRight = 128 });

    /// <summary>The book's encoding by name (utf-8, windows-1252, latin1, utf-16…); null detects it.</summary>
    public string? Encoding { get; init; }

    /// <summary>A trained checkpoint to run instead of seeded weights; its options (shape, mechanism) replace the settings'.</summary>
    public string? Weights { get; init; }

    /// <summary>Checks everything that needs neither the book nor the cluster.</summary>
    /// <param name="prefix">How setting names are written in messages ("--" on the command line).</param>
    /// <exception cref="ArgumentException">A value is out of range; the message names the setting.</exception>
    public void Validate(string prefix = "")
    {
        if (GlobalEvery < 0) throw new ArgumentException($"{prefix}global-every must be >= 0 (got {GlobalEvery}).");
        if (GlobalEvery > 0 && !MechanismRegistry.For(Attention.Kind).Windowed)
            throw new ArgumentException($"{prefix}global-every applies to {prefix}mechanism {MechanismRegistry.WindowedNames} only; {MechanismRegistry.NameOf(Attention.Kind)} attention has no global tokens.");
        if (MaxTokens is < 1) throw new ArgumentException($"{prefix}max-tokens must be >= 1 (got {MaxTokens}).");
        if (Encoding is not null)
        {
            try
            {
                DistributedAttention.Text.BookDecoder.ResolveEncoding(Encoding);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{prefix}encoding '{Encoding}' is not an encoding; use a name such as utf-8, windows-1252, latin1 or utf-16.", e);
            }
        }
        try
        {
            Model(vocabSize: 1).Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"invalid model: {e.Message} (see {prefix}layers, {prefix}model-dim, {prefix}heads, {prefix}ffn-dim).", e);
        }
    }

    /// <summary>The model, with <paramref name="globals"/> as every layer's global positions (window and BigBird).</summary>
    public TransformerOptions Model(int vocabSize, IReadOnlyList<long>? globals = null) => new()
    {
        VocabSize = vocabSize,
        ModelDim = ModelDim,
        Heads = Heads,
        Layers = Layers,
        FeedForwardDim = FeedForwardDim,
        Seed = ModelSeed,
        LayerAttention = TransformerOptions.Uniform(
            MechanismRegistry.For(Attention.Kind).Windowed ? Attention with { GlobalPositions = globals ?? [] } : Attention,
            Math.Max(Layers, 0)),
    };
}
