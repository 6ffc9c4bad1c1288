using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DistributedAttention.Model;

/// <summary>The four linear maps of multi-head attention: q_proj, k_proj, v_proj, o_proj, each (d_model → d_model) with bias.</summary>
public sealed class AttentionProjections : nn.Module
{
    /// <summary>Creates the projections for a hidden size of <paramref name="modelDim"/>.</summary>
    public AttentionProjections(int modelDim) : base(nameof(AttentionProjections))
    {
        QProj = nn.Linear(modelDim, modelDim);
        KProj = nn.Linear(modelDim, modelDim);
        VProj = nn.Linear(modelDim, modelDim);
        OProj = nn.Linear(modelDim, modelDim);
        register_module("q_proj", QProj);
        register_module("k_proj", KProj);
        register_module("v_proj", VProj);
        register_module("o_proj", OProj);
    }

    /// <summary>Query projection, weight (d_model, d_model).</summary>
    public Linear QProj { get; }

    /// <summary>Key projection, weight (d_model, d_model).</summary>
    public Linear KProj { get; }

    /// <summary>Value projection, weight (d_model, d_model).</summary>
    public Linear VProj { get; }

    /// <summary>Output projection applied to the merged heads, weight (d_model, d_model).</summary>
    public Linear OProj { get; }
}
