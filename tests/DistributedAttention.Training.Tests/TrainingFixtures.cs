using System.Text;
using DistributedAttention.Contracts;
using DistributedAttention.Text;
using DistributedAttention.Training;

namespace DistributedAttention.Training.Tests;

/// <summary>Small books and models for training tests.</summary>
internal static class TrainingFixtures
{
    private static readonly string[] Sentences =
    [
        "The keeper of the lighthouse climbed the stairs at dusk.",
        "Every evening the lamp was lit before the ships came in.",
        "The sea was grey and the wind came from the north.",
        "She wrote the names of the ships in a long brown book.",
        "In the morning the boats went out again to fish.",
    ];

    /// <summary>A book of <paramref name="chapters"/> chapters, each a seeded run of a few repeated sentences: easy to learn, so a model soon beats the unigram.</summary>
    public static Book RepetitiveBook(string folder, string name, int chapters, int sentencesPerChapter, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        for (var c = 1; c <= chapters; c++)
        {
            text.Append("CHAPTER ").Append(c).Append(".\n\n");
            for (var s = 0; s < sentencesPerChapter; s++)
            {
                text.Append(Sentences[random.Next(Sentences.Length)]).Append(s % 4 == 3 ? "\n\n" : " ");
            }
            text.Append("\n\n");
        }
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, text.ToString());
        return BookReader.Read(path);
    }

    /// <summary>A one-layer causal window model small enough for tests.</summary>
    public static TransformerOptions TinyModel(int vocabSize, int layers = 1, AttentionSpec? attention = null) => new()
    {
        VocabSize = vocabSize,
        ModelDim = 16,
        Heads = 2,
        Layers = layers,
        FeedForwardDim = 32,
        Seed = 3,
        LayerAttention = TransformerOptions.Uniform(attention ?? new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 8, WindowRight = 0, Causal = true }, layers),
    };

    /// <summary>A short run: a few steps of small batches.</summary>
    public static TrainingOptions ShortRun(int steps) => new()
    {
        Steps = steps,
        BatchSize = 2,
        SequenceLength = 24,
        LearningRate = 1e-2,
        WarmupSteps = 2,
        EvalEvery = 3,
        EvalTokens = 256,
        CheckpointEvery = 0,
        HeldOutFraction = 0.2,
    };
}
