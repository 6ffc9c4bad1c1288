using static TorchSharp.torch;

namespace DistributedAttention.Model;

/// <summary>Section (chapter) vectors: the mean of the hidden states of each section's tokens.</summary>
public static class ChapterPooling
{
    /// <summary>Mean-pools <paramref name="hidden"/> over each token range.</summary>
    /// <param name="hidden">(n, d) hidden states of one sequence.</param>
    /// <param name="sections">Token ranges <c>[Start, End)</c> with 0 ≤ Start &lt; End ≤ n; may overlap.</param>
    /// <returns>(sections, d) in the order given, same dtype and device. The caller disposes it.</returns>
    /// <exception cref="ArgumentException">A range is empty or outside the sequence, or <paramref name="hidden"/> is not 2-D.</exception>
    public static Tensor MeanPool(Tensor hidden, IReadOnlyList<(long Start, long End)> sections)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(sections);
        if (hidden.dim() != 2) throw new ArgumentException($"hidden states must be (n, d); got [{string.Join(", ", hidden.shape)}] (select one sequence of a batch first).", nameof(hidden));
        var (n, d) = (hidden.shape[0], hidden.shape[1]);
        for (var i = 0; i < sections.Count; i++)
        {
            var (start, end) = sections[i];
            if (start < 0 || end > n || start >= end)
            {
                throw new ArgumentException($"section {i} [{start}, {end}) must be a non-empty range within [0, {n}).", nameof(sections));
            }
        }

        using var scope = NewDisposeScope();
        if (sections.Count == 0) return empty(0, d, dtype: hidden.dtype, device: hidden.device).MoveToOuterDisposeScope();
        var means = sections.Select(s => hidden.narrow(0, s.Start, s.End - s.Start).mean([0])).ToArray();
        return stack(means).MoveToOuterDisposeScope();
    }
}
