namespace DistributedAttention.Training;

/// <summary>One optimiser step as the loss log records it.</summary>
/// <param name="Step">The step (1-based).</param>
/// <param name="Tokens">Training tokens predicted up to and including this step.</param>
/// <param name="LearningRate">The step's learning rate.</param>
/// <param name="TrainLoss">The batch's mean cross-entropy in nats, before the update.</param>
/// <param name="GradientNorm">The global gradient L2 norm before clipping.</param>
/// <param name="HeldOutLoss">Held-out mean cross-entropy after the update, where evaluated.</param>
/// <param name="TokensPerSecond">Training throughput of this step's forward, backward and update (evaluation and checkpoint time left out).</param>
/// <param name="ElapsedSeconds">Training time so far, across resumes.</param>
public sealed record LossRecord(int Step, long Tokens, double LearningRate, double TrainLoss, double GradientNorm, double? HeldOutLoss, double TokensPerSecond, double ElapsedSeconds);
