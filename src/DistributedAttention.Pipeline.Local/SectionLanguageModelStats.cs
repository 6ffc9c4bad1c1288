using DistributedAttention.Core.IO;
using DistributedAttention.Model;
using DistributedAttention.Training;
using static TorchSharp.torch;

namespace DistributedAttention.Pipeline.Local;

/// <summary>
/// With trained weights, how well the model predicts each section of the book: the hidden state of
/// token i, through the head tied to the embedding, scores token i + 1, and the section that holds
/// token i + 1 gets that loss. The cluster computed the hidden states; this reads them back.
/// </summary>
internal static class SectionLanguageModelStats
{
    /// <summary>Rows of hidden states scored per pass.</summary>
    private const int RowsPerPass = 8192;

    /// <summary>The sections with loss, perplexity and scored tokens filled in, and the loss over the whole book.</summary>
    /// <param name="weightsPath">The checkpoint the job ran.</param>
    /// <param name="hiddenPath">The job's hidden states, (n, d_model).</param>
    /// <param name="tokens">The n token ids the job ran on.</param>
    /// <param name="sections">The sections, contiguous over the tokens.</param>
    public static (IReadOnlyList<SectionRange> Sections, LanguageModelSummary Book) Score(string weightsPath, string hiddenPath, int[] tokens, IReadOnlyList<SectionRange> sections)
    {
        using var model = TransformerModel.Load(weightsPath);
        using var reader = SafetensorsReader.Open(hiddenPath);
        using var hidden = reader.Read(HiddenStatesFileSink.TensorName);
        // Row i's log-prob of token i + 1; SectionScores gives it to the section holding that token.
        var logProb = new float[tokens.Length - 1];
        using var targets = tensor(tokens.Skip(1).Select(t => (long)t).ToArray());
        for (long start = 0; start < tokens.Length - 1; start += RowsPerPass)
        {
            var rows = Math.Min(RowsPerPass, tokens.Length - 1 - start);
            using var rowsHidden = hidden.narrow(0, start, rows);
            using var rowsTargets = targets.narrow(0, start, rows);
            using var losses = LanguageModelLoss.TokenLosses(model.TiedHeadWeight, rowsHidden, rowsTargets);
            var values = losses.data<float>().ToArray();
            for (var r = 0; r < values.Length; r++) logProb[start + r] = -values[r];
        }
        return SectionScores.Apply(sections, logProb, Path.GetFileName(weightsPath));
    }
}
