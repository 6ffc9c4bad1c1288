namespace DistributedAttention.Training.Tests;

public sealed class LearningRateScheduleTests
{
    private static readonly TrainingOptions Options = new() { Steps = 100, WarmupSteps = 10, LearningRate = 1e-3, MinLearningRateFraction = 0.1 };

    [Fact]
    public void Warm_up_rises_linearly_to_the_peak()
    {
        Assert.Equal(1e-4, LearningRateSchedule.At(Options, 1), 12);
        Assert.Equal(5e-4, LearningRateSchedule.At(Options, 5), 12);
        Assert.Equal(1e-3, LearningRateSchedule.At(Options, 10), 12);
    }

    [Fact]
    public void Cosine_decay_runs_from_the_peak_to_the_floor_at_the_last_step()
    {
        Assert.Equal(1e-3, LearningRateSchedule.At(Options, 11), 12);
        Assert.Equal(1e-4, LearningRateSchedule.At(Options, 100), 12);
        // Halfway through the decay: halfway between peak and floor.
        var middle = LearningRateSchedule.At(Options, 11 + (89 / 2));
        Assert.InRange(middle, 5.4e-4, 5.6e-4);
        for (var step = 11; step < 100; step++) Assert.True(LearningRateSchedule.At(Options, step + 1) < LearningRateSchedule.At(Options, step), $"not decreasing at {step}");
    }

    [Fact]
    public void No_warm_up_starts_at_the_peak()
    {
        var options = Options with { WarmupSteps = 0 };
        Assert.Equal(1e-3, LearningRateSchedule.At(options, 1), 12);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public void Steps_outside_the_run_are_refused(int step) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.At(Options, step));
}
