using static TorchSharp.torch;

namespace DistributedAttention.Training.Tasks;

/// <summary>Examples of different lengths as one batch: padded on the left, so the last position of every row is its own last token.</summary>
public static class ClassificationBatch
{
    /// <summary>(batch, longest) int64 token ids and (batch) int64 labels. The caller disposes both.</summary>
    public static (Tensor Tokens, Tensor Labels) Of(IReadOnlyList<ClassificationExample> examples, int padToken)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("a batch needs at least one example.", nameof(examples));
        var longest = examples.Max(e => e.Tokens.Length);
        var ids = new long[examples.Count * longest];
        for (var row = 0; row < examples.Count; row++)
        {
            var tokens = examples[row].Tokens;
            var start = (row * longest) + longest - tokens.Length;
            Array.Fill(ids, padToken, row * longest, longest - tokens.Length);
            for (var i = 0; i < tokens.Length; i++) ids[start + i] = tokens[i];
        }
        return (tensor(ids, [examples.Count, longest]), tensor(examples.Select(e => (long)e.Label).ToArray()));
    }
}
