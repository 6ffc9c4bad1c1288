namespace DistributedAttention.Training;

/// <summary>
/// Linear warm-up to the peak rate, then cosine decay to <see cref="TrainingOptions.MinLearningRateFraction"/>
/// of it at the last step. A pure function of the step, so a resumed run continues the same curve
/// without any scheduler state in the checkpoint.
/// </summary>
public static class LearningRateSchedule
{
    /// <summary>The learning rate of optimiser step <paramref name="step"/> (1-based: the first step is 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is outside [1, Steps].</exception>
    public static double At(TrainingOptions options, int step)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(step, options.Steps);
        var peak = options.LearningRate;
        if (step <= options.WarmupSteps) return peak * step / options.WarmupSteps;
        var decaySteps = options.Steps - options.WarmupSteps;
        // Progress 0 at the first step after warm-up, 1 at the last.
        var progress = decaySteps <= 1 ? 1.0 : (double)(step - options.WarmupSteps - 1) / (decaySteps - 1);
        var floor = peak * options.MinLearningRateFraction;
        return floor + ((peak - floor) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}
