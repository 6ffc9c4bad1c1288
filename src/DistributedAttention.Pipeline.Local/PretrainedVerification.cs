using System.Diagnostics;
using DistributedAttention.Checkpoints;
using DistributedAttention.Core.IO;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Model.Pretrained;
using static TorchSharp.torch;

namespace DistributedAttention.Pipeline.Local;

/// <summary><c>--verify</c> with <c>--model</c>: the checkpoint on this machine as one device, compared with the cluster's hidden states.</summary>
public static class PretrainedVerification
{
    /// <summary>Runs the single-device forward and compares it with tensor "hidden" of <paramref name="hiddenPath"/>.</summary>
    public static SingleDeviceCheck Run(ModelFolder folder, int[] tokens, string hiddenPath)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(tokens);
        return ComputeThreads.OnEveryCore(() =>
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            using var model = DecoderModel.Load(folder);
            var expected = model.Forward(tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length])).squeeze(0);
            var seconds = clock.Elapsed.TotalSeconds;
            using var reader = SafetensorsReader.Open(hiddenPath);
            var actual = reader.Read(HiddenStatesFileSink.TensorName).reshape(expected.shape);
            using var s = new ScalarScope();
            var diff = actual.sub(expected).abs_();
            var excess = diff.sub(expected.abs().mul_(s[SingleDeviceCheck.RelativeTolerance]).add_(s[SingleDeviceCheck.AbsoluteTolerance], KeptScalars.One)).max().item<float>();
            var finite = actual.isfinite().all().item<bool>();
            return new SingleDeviceCheck(seconds, diff.max().item<float>(), excess, finite && excess <= 0);
        });
    }
}
