namespace DistributedAttention.Training;

/// <summary>What a running training reports after each step.</summary>
/// <param name="Record">The step's row of the loss log.</param>
/// <param name="Steps">Steps in all.</param>
/// <param name="LatestHeldOutLoss">The most recent held-out loss, if any evaluation has run.</param>
/// <param name="Phase">What the trainer does next (training, evaluating, checkpointing).</param>
public sealed record TrainingProgress(LossRecord Record, int Steps, double? LatestHeldOutLoss, string Phase);
