using DistributedAttention.Contracts;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DistributedAttention.Model;

/// <summary>
/// A pre-norm transformer: token embedding (no absolute position embedding; positions enter
/// through RoPE in every layer), <see cref="TransformerOptions.Layers"/> <see cref="TransformerLayer"/>s
/// each with its own attention mechanism, a final LayerNorm, and a language-model head tied to the
/// embedding (<see cref="TiedLogits"/>). Parameters do not require gradients until a trainer asks
/// for them (<see cref="RequireGradients"/>): inference records nothing.
/// </summary>
/// <remarks>
/// Weight names follow PyTorch conventions: <c>embed.weight</c>,
/// <c>layers.{i}.attn_norm.{weight,bias}</c>, <c>layers.{i}.attn.{q,k,v,o}_proj.{weight,bias}</c>,
/// <c>layers.{i}.ffn_norm.{weight,bias}</c>, <c>layers.{i}.ffn.{up,down}.{weight,bias}</c>,
/// <c>final_norm.{weight,bias}</c>.
/// </remarks>
public sealed class TransformerModel : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embed;
    private readonly ModuleList<TransformerLayer> layers;
    private readonly LayerNorm finalNorm;

    /// <summary>Creates a model with seeded weights (<see cref="TransformerOptions.Seed"/>) on <paramref name="device"/> (CPU by default).</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public TransformerModel(TransformerOptions options, Device? device = null) : this(options, device, initialize: true)
    {
    }

    private TransformerModel(TransformerOptions options, Device? device, bool initialize) : base(nameof(TransformerModel))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        embed = nn.Embedding(options.VocabSize, options.ModelDim);
        layers = nn.ModuleList(Enumerable.Range(0, options.Layers).Select(i => new TransformerLayer(options, i)).ToArray());
        finalNorm = nn.LayerNorm(options.ModelDim, options.LayerNormEps);
        register_module("embed", embed);
        register_module("layers", layers);
        register_module("final_norm", finalNorm);
        Layers = [.. layers];

        // Initialise on CPU so the weights do not depend on the device.
        if (initialize) WeightInit.Apply(this, options.Seed, options.Layers);
        Device = device ?? CPU;
        if (Device.type != DeviceType.CPU) this.to(Device);
        foreach (var parameter in parameters()) parameter.requires_grad = false;
        eval();
    }

    /// <summary>The options the model was built from.</summary>
    public TransformerOptions Options { get; }

    /// <summary>
    /// The options as the model now stands: <see cref="Options"/> with each layer's current spec
    /// (routing layers' centroids move during training). Saved with the weights.
    /// </summary>
    public TransformerOptions CurrentOptions => Layers.All(l => ReferenceEquals(l.Spec, Options.LayerAttention[l.Index]))
        ? Options
        : Options with { LayerAttention = [.. Layers.Select(l => l.Spec)] };

    /// <summary>Where the weights live.</summary>
    public Device Device { get; }

    /// <summary>The layers in order, for a runtime that runs them step by step.</summary>
    public IReadOnlyList<TransformerLayer> Layers { get; }

    /// <summary>Token embedding lookup.</summary>
    /// <param name="tokenIds">(batch, n) int64 token ids in [0, VocabSize).</param>
    /// <returns>(batch, n, d_model). The caller disposes it.</returns>
    public Tensor Embed(Tensor tokenIds)
    {
        ArgumentNullException.ThrowIfNull(tokenIds);
        if (tokenIds.dim() != 2) throw new ArgumentException($"token ids must be (batch, n); got [{string.Join(", ", tokenIds.shape)}].", nameof(tokenIds));
        if (tokenIds.dtype != ScalarType.Int64) throw new ArgumentException($"token ids must be int64; got {tokenIds.dtype}.", nameof(tokenIds));
        using var scope = NewDisposeScope();
        if (tokenIds.numel() > 0)
        {
            var (min, max) = (tokenIds.min().item<long>(), tokenIds.max().item<long>());
            if (min < 0 || max >= Options.VocabSize)
            {
                throw new ArgumentOutOfRangeException(nameof(tokenIds), $"token ids must be in [0, {Options.VocabSize}); got values in [{min}, {max}].");
            }
        }
        return embed.forward(tokenIds.to(Device)).MoveToOuterDisposeScope();
    }

    /// <summary>The final LayerNorm.</summary>
    /// <param name="x">(batch, n, d_model) output of the last layer.</param>
    /// <returns>(batch, n, d_model). The caller disposes it.</returns>
    public Tensor FinalNorm(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return finalNorm.forward(x);
    }

    /// <summary>Contextual hidden states of a whole sequence (positions 0 .. n-1) on one device.</summary>
    /// <param name="tokenIds">(batch, n) int64 token ids.</param>
    /// <returns>(batch, n, d_model). The caller disposes it.</returns>
    public override Tensor forward(Tensor tokenIds)
    {
        using var scope = NewDisposeScope();
        var x = Embed(tokenIds);
        foreach (var layer in Layers)
        {
            // Free each layer's input as soon as the next one exists: a book is long.
            var next = layer.forward(x, 0);
            x.Dispose();
            x = next;
        }
        return FinalNorm(x).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Next-token logits from final hidden states through the head tied to the embedding:
    /// <c>hidden · embed.weightᵀ</c>, no bias (as GPT-2 does).
    /// </summary>
    /// <param name="hidden">(…, d_model) output of <see cref="forward"/>.</param>
    /// <returns>(…, VocabSize). The caller disposes it.</returns>
    public Tensor TiedLogits(Tensor hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        return nn.functional.linear(hidden, embed.weight!);
    }

    /// <summary>The embedding matrix (VocabSize, d_model), which the tied head shares; a trainer adds the head's gradient to it.</summary>
    public Tensor TiedHeadWeight => embed.weight!;

    /// <summary>Turns gradient recording on (training) or off (inference, the default) for every parameter.</summary>
    public void RequireGradients(bool required = true)
    {
        foreach (var parameter in parameters()) parameter.requires_grad = required;
    }

    /// <summary>Writes the weights and options (as JSON metadata) to a safetensors file.</summary>
    public void Save(string path) => TransformerCheckpoint.Save(this, path);

    /// <summary>The options stored in a checkpoint written by <see cref="Save"/>, without reading its weights.</summary>
    /// <exception cref="InvalidDataException">The file is not a transformer checkpoint, or its options are invalid.</exception>
    public static TransformerOptions ReadOptions(string path) => TransformerCheckpoint.ReadOptions(path);

    /// <summary>Loads a model written by <see cref="Save"/> onto <paramref name="device"/> (CPU by default).</summary>
    /// <exception cref="InvalidDataException">The file is not a transformer checkpoint, or a weight is missing, unexpected or misshapen.</exception>
    public static TransformerModel Load(string path, Device? device = null)
    {
        var options = TransformerCheckpoint.ReadOptions(path);
        var model = new TransformerModel(options, device, initialize: false);
        try
        {
            model.LoadWeights(path);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    /// <summary>Replaces every weight with the one of the same name in a safetensors file.</summary>
    /// <exception cref="InvalidDataException">A weight is missing, unexpected or misshapen.</exception>
    public void LoadWeights(string path) => TransformerCheckpoint.LoadWeights(this, path);
}
