namespace DistributedAttention.Training;

/// <summary>Next-token loss on one held-out section.</summary>
/// <param name="Book">The book's file name.</param>
/// <param name="Title">The section's heading.</param>
/// <param name="LossSum">Summed cross-entropy in nats.</param>
/// <param name="Tokens">Tokens scored.</param>
public sealed record SectionLoss(string Book, string Title, double LossSum, long Tokens)
{
    /// <summary>Mean cross-entropy per token in nats (NaN when nothing was scored).</summary>
    public double Loss => Tokens > 0 ? LossSum / Tokens : double.NaN;

    /// <summary>e^<see cref="Loss"/>.</summary>
    public double Perplexity => Math.Exp(Loss);
}

/// <summary>Next-token loss on every held-out section, and over all of them.</summary>
/// <param name="Sections">One entry per section.</param>
public sealed record HeldOutLoss(IReadOnlyList<SectionLoss> Sections)
{
    /// <summary>Tokens scored in all.</summary>
    public long Tokens => Sections.Sum(s => s.Tokens);

    /// <summary>Mean cross-entropy per token over all sections, in nats.</summary>
    public double Loss => Tokens > 0 ? Sections.Sum(s => s.LossSum) / Tokens : double.NaN;

    /// <summary>e^<see cref="Loss"/>.</summary>
    public double Perplexity => Math.Exp(Loss);
}
