using DistributedAttention.Model;
using static TorchSharp.torch;

namespace DistributedAttention.Training;

/// <summary>
/// Next-token loss of a model on held-out sections. Each section is read in consecutive windows of
/// the training length; a window predicts its tokens from the context inside it, so every token of
/// a section but its first is scored exactly once.
/// </summary>
public static class HeldOutEvaluator
{
    /// <summary>Rows per forward pass.</summary>
    private const int RowsPerPass = 8;

    /// <summary>Scores <paramref name="model"/> on <paramref name="sections"/>.</summary>
    /// <param name="model">The model; its gradient mode is left as it was.</param>
    /// <param name="sections">Held-out sections.</param>
    /// <param name="window">Tokens per window (the training sequence length).</param>
    /// <param name="tokenBudget">Read only the first budget/sections tokens of each section (a quick estimate); null reads all.</param>
    public static HeldOutLoss Evaluate(TransformerModel model, IReadOnlyList<HeldOutSection> sections, int window, int? tokenBudget = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sections);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        var perSection = tokenBudget is { } budget ? Math.Max(2, budget / Math.Max(1, sections.Count)) : int.MaxValue;
        using var noGrad = no_grad();
        var losses = new List<SectionLoss>(sections.Count);
        foreach (var section in sections)
        {
            var tokens = section.Tokens.Length > perSection ? section.Tokens[..perSection] : section.Tokens;
            losses.Add(new SectionLoss(section.Book, section.Title, SectionLossSum(model, tokens, window), Math.Max(0, tokens.Length - 1)));
        }
        return new HeldOutLoss(losses);
    }

    private static double SectionLossSum(TransformerModel model, int[] tokens, int window)
    {
        // Windows of window+1 tokens overlapping by one: inputs are the first window, targets the next.
        var starts = new List<int>();
        for (var s = 0; s + 1 < tokens.Length; s += window) starts.Add(s);
        var sum = 0.0;
        foreach (var group in starts.GroupBy(s => Math.Min(window, tokens.Length - 1 - s)))
        {
            var width = group.Key;
            foreach (var chunk in group.Chunk(RowsPerPass))
            {
                using var scope = NewDisposeScope();
                var inputs = new long[chunk.Length * width];
                var targets = new long[chunk.Length * width];
                for (var r = 0; r < chunk.Length; r++)
                {
                    for (var t = 0; t < width; t++)
                    {
                        inputs[(r * width) + t] = tokens[chunk[r] + t];
                        targets[(r * width) + t] = tokens[chunk[r] + t + 1];
                    }
                }
                sum += LanguageModelLoss.Sum(model, tensor(inputs, [chunk.Length, width]), tensor(targets, [chunk.Length, width]));
            }
        }
        return sum;
    }
}
