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
    /// <summary>Relative and absolute tolerance of a bf16 job against bf16 on one device (measured: at most 1.5·10⁻⁴ of max |hidden| on the test checkpoints).</summary>
    public const double Bf16Tolerance = 1e-2;

    /// <summary>
    /// Runs the single-device forward in <paramref name="computeType"/> and compares it with tensor
    /// "hidden" of <paramref name="hiddenPath"/>: within fp32 tolerance, or for bf16 matmuls within
    /// <see cref="Bf16Tolerance"/> (a float32 sum in another order can round a matmul input to the next bf16 value).
    /// </summary>
    public static SingleDeviceCheck Run(ModelFolder folder, int[] tokens, string hiddenPath, string computeType = Abstractions.PretrainedModel.Float32)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(tokens);
        return ComputeThreads.OnEveryCore(() =>
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            var bf16 = computeType == Abstractions.PretrainedModel.BFloat16;
            using var model = DecoderModel.Load(folder, dtype: bf16 ? ScalarType.BFloat16 : ScalarType.Float32);
            var expected = model.Forward(tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length])).squeeze(0);
            var seconds = clock.Elapsed.TotalSeconds;
            using var reader = SafetensorsReader.Open(hiddenPath);
            var actual = reader.Read(HiddenStatesFileSink.TensorName).reshape(expected.shape);
            using var s = new ScalarScope();
            var diff = actual.sub(expected).abs_();
            var (relative, absolute) = bf16 ? (Bf16Tolerance, Bf16Tolerance) : (SingleDeviceCheck.RelativeTolerance, SingleDeviceCheck.AbsoluteTolerance);
            var excess = diff.sub(expected.abs().mul_(s[relative]).add_(s[absolute], KeptScalars.One)).max().item<float>();
            var finite = actual.isfinite().all().item<bool>();
            return new SingleDeviceCheck(seconds, diff.max().item<float>(), excess, finite && excess <= 0);
        });
    }
}
