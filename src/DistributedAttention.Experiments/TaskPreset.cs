using DistributedAttention.Training;

namespace DistributedAttention.Experiments;

/// <summary>The long-range tasks' settings: one budget for every mechanism and both tasks.</summary>
/// <param name="ListOpsTraining">Steps, batch and optimiser of ListOps training (the sequence length is the task's).</param>
/// <param name="RetrievalTraining">The same for retrieval.</param>
/// <param name="ListOpsMinLength">Fewest tokens of a ListOps example (training and evaluation).</param>
/// <param name="ListOpsMaxLength">Most tokens of a ListOps example.</param>
/// <param name="RetrievalTrainingLength">Tokens of a retrieval example in training.</param>
/// <param name="RetrievalLengths">Lengths retrieval accuracy is measured at (the model trained at <paramref name="RetrievalTrainingLength"/>).</param>
/// <param name="EvalExamples">Held-out examples per accuracy figure.</param>
/// <param name="EvalBatchSize">Examples per forward when scoring.</param>
public sealed record TaskPreset(TrainingOptions ListOpsTraining, TrainingOptions RetrievalTraining, int ListOpsMinLength, int ListOpsMaxLength, int RetrievalTrainingLength, IReadOnlyList<int> RetrievalLengths, int EvalExamples, int EvalBatchSize)
{
    /// <summary>The held-out examples' seed (training batches use seeds above 1,000,000).</summary>
    public const int EvalSeed = 7;

    /// <summary>A line for the report.</summary>
    public string Describe() =>
        $"ListOps: {Budget(ListOpsTraining, "")}; retrieval: {Budget(RetrievalTraining, $" of {RetrievalTrainingLength:N0} tokens")}; {EvalExamples} held-out examples per figure";

    private static string Budget(TrainingOptions t, string examples) => $"{t.Steps:N0} steps of {t.BatchSize} examples{examples}, peak learning rate {t.LearningRate:G3}";
}
