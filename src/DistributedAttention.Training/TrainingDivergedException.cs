namespace DistributedAttention.Training;

/// <summary>The training loss became NaN or infinite: the run cannot go on from here.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Reports the step, its loss and its learning rate.</summary>
    public TrainingDivergedException(int step, double loss, double learningRate)
        : base($"the training loss became {loss} at step {step} (learning rate {learningRate:G3}); start again with a lower learning rate (--lr) or more warm-up.")
    {
        Step = step;
    }

    /// <summary>The step whose loss was not finite.</summary>
    public int Step { get; }
}
