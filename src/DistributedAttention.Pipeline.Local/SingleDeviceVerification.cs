using System.Diagnostics;
using DistributedAttention.Contracts;
using DistributedAttention.Core.IO;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Model;
using static TorchSharp.torch;

namespace DistributedAttention.Pipeline.Local;

/// <summary><c>--verify</c>: the model on this machine as one device, compared with the cluster's hidden states.</summary>
public static class SingleDeviceVerification
{
    /// <summary>Runs the single-device forward and compares it with tensor "hidden" of <paramref name="hiddenPath"/>.</summary>
    /// <param name="options">The model.</param>
    /// <param name="tokens">The token ids the job ran.</param>
    /// <param name="hiddenPath">The job's hidden states.</param>
    /// <param name="weightsPath">The trained checkpoint the job ran, or null for weights seeded from <paramref name="options"/>.</param>
    public static SingleDeviceCheck Run(TransformerOptions options, int[] tokens, string hiddenPath, string? weightsPath = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        // One device: every core, even where the embedded cluster's silos had a share each.
        return ComputeThreads.OnEveryCore(() => Compare(options, tokens, hiddenPath, weightsPath));
    }

    private static SingleDeviceCheck Compare(TransformerOptions options, int[] tokens, string hiddenPath, string? weightsPath)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        using var model = weightsPath is null ? new TransformerModel(options) : TransformerModel.Load(weightsPath);
        var ids = tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length]);
        var expected = model.forward(ids).squeeze(0);
        var seconds = clock.Elapsed.TotalSeconds;
        using var reader = SafetensorsReader.Open(hiddenPath);
        var actual = reader.Read("hidden").reshape(expected.shape);
        using var s = new ScalarScope();
        var diff = actual.sub(expected).abs_();
        var excess = diff.sub(expected.abs().mul_(s[SingleDeviceCheck.RelativeTolerance]).add_(s[SingleDeviceCheck.AbsoluteTolerance], KeptScalars.One)).max().item<float>();
        var maxDiff = diff.max().item<float>();
        var finite = actual.isfinite().all().item<bool>();
        return new SingleDeviceCheck(seconds, maxDiff, excess, finite && excess <= 0);
    }
}
