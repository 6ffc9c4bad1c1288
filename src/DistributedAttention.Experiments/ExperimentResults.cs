namespace DistributedAttention.Experiments;

/// <summary>One row of the table: a mechanism's language-model figure, its long-range task accuracies and its forward measurements.</summary>
/// <param name="Mechanism">The row's mechanism.</param>
/// <param name="LanguageModel">Its held-out language-model figure.</param>
/// <param name="ListOps">Its ListOps accuracy.</param>
/// <param name="Retrieval">Its retrieval accuracy by length.</param>
/// <param name="Forward">One device, by length.</param>
/// <param name="ClusterForward">The cluster, by length (empty without a cluster column).</param>
public sealed record MechanismResults(MechanismEntry Mechanism, LanguageModelResult LanguageModel, TaskResult ListOps, TaskResult Retrieval, IReadOnlyList<ForwardMeasurement> Forward, IReadOnlyList<ForwardMeasurement> ClusterForward);

/// <summary>Everything one run of the experiments measured, with what describes the run.</summary>
/// <param name="Preset">The preset.</param>
/// <param name="Command">The command line that reproduces it.</param>
/// <param name="Books">Book file names and their training / held-out token counts.</param>
/// <param name="UnigramLoss">The add-one unigram baseline on the same held-out tokens.</param>
/// <param name="Rows">One per mechanism.</param>
/// <param name="Started">When the run started (UTC).</param>
/// <param name="WallSeconds">The whole run's wall time.</param>
/// <param name="Machine">Cores, CPU, memory, OS.</param>
/// <param name="Cluster">The cluster of the cluster column, or null when there is none.</param>
public sealed record ExperimentResults(ExperimentPreset Preset, string Command, IReadOnlyList<(string Name, long TrainTokens, long HeldOutTokens)> Books,
    double UnigramLoss, IReadOnlyList<MechanismResults> Rows, DateTime Started, double WallSeconds, string Machine, string? Cluster);
