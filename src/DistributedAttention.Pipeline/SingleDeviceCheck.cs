using System.Diagnostics;
using DistributedAttention.Contracts;
using DistributedAttention.Core.IO;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Model;
using static TorchSharp.torch;

namespace DistributedAttention.Pipeline;

/// <summary>
/// <c>--verify</c>: runs the same model over the same tokens on this machine as one device and
/// compares its hidden states with the file the cluster produced, element by element, with the
/// tolerance the test suite uses for fp32 (|Δ| ≤ 1e-4·|x| + 3e-5).
/// </summary>
/// <param name="SingleDeviceSeconds">Wall seconds of the single-device forward.</param>
/// <param name="MaxAbsDiff">Largest |distributed − single device|.</param>
/// <param name="WorstExcess">Largest |Δ| − (1e-4·|x| + 3e-5); ≤ 0 means every element is within tolerance.</param>
/// <param name="WithinTolerance">Whether every element is within tolerance.</param>
public sealed record SingleDeviceCheck(double SingleDeviceSeconds, double MaxAbsDiff, double WorstExcess, bool WithinTolerance)
{
    /// <summary>Relative part of the tolerance.</summary>
    public const double RelativeTolerance = 1e-4;

    /// <summary>Absolute part of the tolerance.</summary>
    public const double AbsoluteTolerance = 3e-5;

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
        var excess = diff.sub(expected.abs().mul_(s[RelativeTolerance]).add_(s[AbsoluteTolerance], KeptScalars.One)).max().item<float>();
        var maxDiff = diff.max().item<float>();
        var finite = actual.isfinite().all().item<bool>();
        return new SingleDeviceCheck(seconds, maxDiff, excess, finite && excess <= 0);
    }
}
