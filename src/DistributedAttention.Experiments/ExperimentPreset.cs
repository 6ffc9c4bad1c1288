using DistributedAttention.Training;

namespace DistributedAttention.Experiments;

/// <summary>How big the experiments are: the model and training budget every mechanism gets, and the lengths its speed is measured at.</summary>
/// <param name="Name">The preset's name (--preset).</param>
/// <param name="Description">One line for help and the report.</param>
/// <param name="Window">w: the window, segment, features and packed length scale with it (<see cref="MechanismCatalog"/>).</param>
/// <param name="Layers">Model layers.</param>
/// <param name="ModelDim">d_model.</param>
/// <param name="Heads">Attention heads.</param>
/// <param name="FeedForwardDim">FFN width.</param>
/// <param name="Training">The training budget, the same for every mechanism.</param>
/// <param name="Lengths">Sequence lengths of the forward measurements.</param>
/// <param name="FullAttentionLimit">The longest sequence full attention (O(n²)) is measured at.</param>
/// <param name="Repeats">Timed forwards per measurement (the median counts), after one untimed.</param>
/// <param name="Tasks">The long-range tasks' budget and lengths.</param>
public sealed record ExperimentPreset(string Name, string Description, int Window, int Layers, int ModelDim, int Heads, int FeedForwardDim,
    TrainingOptions Training, IReadOnlyList<long> Lengths, long FullAttentionLimit, int Repeats, TaskPreset Tasks)
{
    /// <summary>A minute or two: proves the pipeline end to end (CI runs it); its numbers mean little.</summary>
    public static ExperimentPreset Ci { get; } = new(
        "ci", "1 layer, d_model 32, w 16; 12 steps of 4 x 64 tokens; 4 steps of each task; forward at 1K and 4K tokens",
        Window: 16, Layers: 1, ModelDim: 32, Heads: 2, FeedForwardDim: 64,
        new TrainingOptions { Steps = 12, BatchSize = 4, SequenceLength = 64, LearningRate = 1e-2, WarmupSteps = 2, EvalEvery = 12, EvalTokens = 512, CheckpointEvery = 0 },
        Lengths: [1024, 4096], FullAttentionLimit: 4096, Repeats: 1,
        new TaskPreset(
            new TrainingOptions { Steps = 4, BatchSize = 2, LearningRate = 3e-3, WarmupSteps = 1, CheckpointEvery = 0 },
            new TrainingOptions { Steps = 4, BatchSize = 2, LearningRate = 3e-3, WarmupSteps = 1, CheckpointEvery = 0 },
            ListOpsMinLength: 20, ListOpsMaxLength: 80, RetrievalTrainingLength: 64, RetrievalLengths: [64, 256], EvalExamples: 8, EvalBatchSize: 8));

    /// <summary>The committed table: the quick training preset's model and budget for every mechanism; forward from 1K to 256K tokens.</summary>
    public static ExperimentPreset Small { get; } = new(
        "small", "2 layers, d_model 128, 4 heads, w 64; 250 steps of 8 x 256 tokens; ListOps to 2K tokens, retrieval trained at 256 and scored to 16K; forward at 1K to 256K tokens",
        Window: 64, Layers: 2, ModelDim: 128, Heads: 4, FeedForwardDim: 512,
        TrainingPreset.Quick.Training with { CheckpointEvery = 0 },
        Lengths: [1024, 4096, 16384, 65536, 262144], FullAttentionLimit: 16384, Repeats: 3,
        // Retrieval trains at 256: at this budget full attention learns it there (90 %) but not at 512 (40 %)
        // or 1K (chance); docs/benchmarks.md has the probe, and why the causal global rows cannot use it at 256.
        new TaskPreset(
            new TrainingOptions { Steps = 250, BatchSize = 8, LearningRate = 3e-3, WarmupSteps = 25, CheckpointEvery = 0 },
            new TrainingOptions { Steps = 300, BatchSize = 8, LearningRate = 3e-3, WarmupSteps = 20, CheckpointEvery = 0 },
            ListOpsMinLength: 500, ListOpsMaxLength: 2000, RetrievalTrainingLength: 256, RetrievalLengths: [256, 4096, 16384], EvalExamples: 40, EvalBatchSize: 4));

    /// <summary>Every preset by name.</summary>
    public static IReadOnlyDictionary<string, ExperimentPreset> All { get; } = new Dictionary<string, ExperimentPreset>(StringComparer.OrdinalIgnoreCase)
    {
        [Ci.Name] = Ci,
        [Small.Name] = Small,
    };
}
