using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DistributedAttention.Training;

/// <summary>
/// The optimizer every training here uses: AdamW at the options' rate and betas, with weight decay on
/// matrices (the tied embedding too, as GPT-2 does) and never on biases or norm scales.
/// </summary>
public static class DecoupledAdamW
{
    /// <summary>An AdamW over <paramref name="parameters"/> in two groups: decayed matrices, undecayed vectors.</summary>
    /// <param name="parameters">Every trainable parameter of the model.</param>
    /// <param name="options">Learning rate, betas and weight decay.</param>
    public static AdamW Create(IEnumerable<Parameter> parameters, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(options);
        var all = parameters.ToList();
        var groups = new[]
        {
            new AdamW.ParamGroup(all.Where(p => p.dim() >= 2), new AdamW.Options { weight_decay = options.WeightDecay }),
            new AdamW.ParamGroup(all.Where(p => p.dim() < 2), new AdamW.Options { weight_decay = 0 }),
        };
        return new AdamW(groups, options.LearningRate, options.Beta1, options.Beta2, eps: 1e-8, weight_decay: options.WeightDecay);
    }
}
