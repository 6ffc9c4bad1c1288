using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Model;

namespace DistributedAttention.Cli.Commands;

/// <summary>What <c>distattn process</c> was asked to do.</summary>
/// <param name="Book">The book file.</param>
/// <param name="Output">The output folder.</param>
/// <param name="Layers">Transformer layers.</param>
/// <param name="ModelDim">d_model.</param>
/// <param name="Heads">Heads.</param>
/// <param name="FeedForwardDim">Feed-forward inner size.</param>
/// <param name="ModelSeed">Weight seed.</param>
/// <param name="GlobalEvery">Every K-th token is global (0: chapter starts only).</param>
/// <param name="MaxTokens">Process only this many tokens; <c>null</c> for all.</param>
/// <param name="Attention">Every layer's mechanism; global positions are filled in from the book.</param>
/// <param name="Verify">Also run the model as one device here and compare.</param>
internal sealed record ProcessSettings(
    string Book, string Output, int Layers, int ModelDim, int Heads, int FeedForwardDim, ulong ModelSeed, int GlobalEvery, int? MaxTokens, AttentionSpec Attention,
    bool Verify = false)
{
    /// <summary>Checks everything that needs neither the book nor the cluster.</summary>
    /// <exception cref="UsageException">A value is out of range; the message names the option.</exception>
    public void Validate()
    {
        if (GlobalEvery < 0) throw new UsageException($"--global-every must be >= 0 (got {GlobalEvery}).");
        if (MaxTokens is < 1) throw new UsageException($"--max-tokens must be >= 1 (got {MaxTokens}).");
        try
        {
            Model(vocabSize: 1).Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"invalid model: {e.Message} (see --layers, --model-dim, --heads, --ffn-dim).", e);
        }
        if (!File.Exists(Book)) throw new UsageException(Directory.Exists(Book) ? $"'{Book}' is a folder, not a book file." : $"book file '{Book}' does not exist.");
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
            Attention.Kind is AttentionKind.Window or AttentionKind.BigBird ? Attention with { GlobalPositions = globals ?? [] } : Attention,
            Math.Max(Layers, 0)),
    };
}
