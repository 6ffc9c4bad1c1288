namespace DistributedAttention.Pipeline;

/// <summary>
/// <c>--verify</c>'s result: the same model over the same tokens on this machine as one device,
/// compared with the file the cluster produced, element by element, with the tolerance the test
/// suite uses for fp32 (|Δ| ≤ 1e-4·|x| + 3e-5). Computed by Pipeline.Local's <c>SingleDeviceVerification</c>.
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
}
