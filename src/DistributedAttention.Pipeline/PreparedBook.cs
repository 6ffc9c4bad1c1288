using DistributedAttention.Contracts;
using DistributedAttention.Text;

namespace DistributedAttention.Pipeline;

/// <summary>A book read, tokenized and split into chapters, with the model it will run through.</summary>
/// <param name="Path">The book file's full path.</param>
/// <param name="Name">The book's name in outputs.</param>
/// <param name="Book">The decoded, tokenized book.</param>
/// <param name="Tokens">The token ids to run (the first max-tokens, when set).</param>
/// <param name="Sections">Chapters within those tokens.</param>
/// <param name="Model">The model, chapter starts global.</param>
/// <param name="TokenizeSeconds">Seconds reading and tokenizing took.</param>
public sealed record PreparedBook(string Path, string Name, Book Book, int[] Tokens, IReadOnlyList<SectionRange> Sections, TransformerOptions Model, double TokenizeSeconds)
{
    /// <summary>The trained weights every silo reads, when the model is not seeded.</summary>
    public Abstractions.ModelWeights? Weights { get; init; }
}

/// <summary>A finished book job: its summary (also in summary.json), the cluster's result and where the hidden states are.</summary>
/// <param name="Summary">The summary.</param>
/// <param name="Job">The cluster job's result.</param>
/// <param name="HiddenPath">The hidden-states file.</param>
public sealed record BookJobResult(ProcessSummary Summary, Client.ModelJobResult Job, string HiddenPath);

/// <summary>What a job ran on, for summaries.</summary>
/// <param name="Silos">Silos in the cluster.</param>
/// <param name="Description">How it was reached ("embedded cluster of 3 silos", a gateway address…).</param>
public sealed record ClusterInfo(int Silos, string Description);
