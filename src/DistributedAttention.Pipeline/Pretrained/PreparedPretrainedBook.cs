using DistributedAttention.Checkpoints;
using DistributedAttention.Text;

namespace DistributedAttention.Pipeline;

/// <summary>A book read and tokenized by a checkpoint's own tokenizer, ready for its model.</summary>
/// <param name="Path">The book file's full path.</param>
/// <param name="Name">The book's name in outputs.</param>
/// <param name="Book">The decoded book and its sections.</param>
/// <param name="Model">The model folder, checked.</param>
/// <param name="Tokens">The ids the model runs on (the first max-tokens, when set), BOS included where the tokenizer adds it.</param>
/// <param name="Sections">Sections within those tokens.</param>
/// <param name="ExactOffsets">Whether the sections' token ranges are exact (see <see cref="EncodedBook.ExactOffsets"/>).</param>
/// <param name="Warnings">What the user should know before the run (printed, and in summary.json).</param>
/// <param name="TokenizeSeconds">Seconds reading and tokenizing took.</param>
public sealed record PreparedPretrainedBook(string Path, string Name, Book Book, ModelFolder Model, int[] Tokens, IReadOnlyList<SectionRange> Sections, bool ExactOffsets,
    IReadOnlyList<string> Warnings, double TokenizeSeconds)
{
    /// <summary>The shards' weights and matmuls: <c>float32</c> (default) or <c>bfloat16</c> (see <see cref="Abstractions.PretrainedModel.ComputeType"/>).</summary>
    public string ComputeType { get; init; } = Abstractions.PretrainedModel.Float32;
}

/// <summary>A finished pretrained book job.</summary>
/// <param name="Summary">The summary (also in summary.json).</param>
/// <param name="Job">The cluster job's result.</param>
/// <param name="HiddenPath">The hidden-states file.</param>
public sealed record PretrainedBookJobResult(ProcessSummary Summary, Client.PretrainedJobResult Job, string HiddenPath);
