namespace DistributedAttention.Training.Tasks;

/// <summary>One sequence of a synthetic classification task and its class.</summary>
/// <param name="Tokens">Token ids in [0, the task's vocabulary).</param>
/// <param name="Label">The class in [0, the task's classes).</param>
public sealed record ClassificationExample(int[] Tokens, int Label);
