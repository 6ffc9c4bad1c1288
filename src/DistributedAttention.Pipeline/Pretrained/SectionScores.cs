using DistributedAttention.Client;

namespace DistributedAttention.Pipeline;

/// <summary>
/// Loss and perplexity per section from the shards' next-token log-probs: log-prob i scores token
/// i + 1, and the section holding token i + 1 gets it (the book's first token has no prediction).
/// </summary>
public static class SectionScores
{
    /// <summary>The sections with loss, perplexity and scored tokens, and the whole book's.</summary>
    /// <param name="sections">Contiguous sections over the tokens.</param>
    /// <param name="logProb">(n − 1) log-probs.</param>
    /// <param name="model">The model's name, for the summary.</param>
    public static (IReadOnlyList<SectionRange> Sections, LanguageModelSummary Book) Apply(IReadOnlyList<SectionRange> sections, float[] logProb, string model)
    {
        ArgumentNullException.ThrowIfNull(sections);
        ArgumentNullException.ThrowIfNull(logProb);
        var sums = new double[sections.Count];
        var counts = new long[sections.Count];
        var section = 0;
        for (var i = 0; i < logProb.Length && sections.Count > 0; i++)
        {
            var predicted = i + 1;
            while (section < sections.Count - 1 && predicted >= sections[section].TokenEnd) section++;
            if (predicted < sections[section].TokenStart || predicted >= sections[section].TokenEnd) continue;
            sums[section] -= logProb[i];
            counts[section]++;
        }
        var scored = sections.Select((s, i) => counts[i] == 0 ? s : s with
        {
            Loss = sums[i] / counts[i],
            Perplexity = Math.Exp(sums[i] / counts[i]),
            ScoredTokens = counts[i],
        }).ToList();
        var total = counts.Sum();
        var loss = total == 0 ? double.NaN : sums.Sum() / total;
        return (scored, new LanguageModelSummary(model, loss, Math.Exp(loss), total));
    }
}
