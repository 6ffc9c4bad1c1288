using DistributedAttention.Contracts;
using DistributedAttention.Training.Tasks;
using static TorchSharp.torch;

namespace DistributedAttention.Training.Tests.Tasks;

public sealed class ClassifierTrainingTests
{
    private static readonly TrainingOptions Budget = new() { Steps = 200, BatchSize = 16, LearningRate = 3e-3, WarmupSteps = 10, CheckpointEvery = 0 };

    private static TransformerOptions Model(int vocab, AttentionSpec spec) => new()
    {
        VocabSize = vocab, ModelDim = 64, Heads = 2, Layers = 2, FeedForwardDim = 128, Seed = 1,
        LayerAttention = TransformerOptions.Uniform(spec, 2),
    };

    /// <summary>
    /// The point of the task: the value lies at least 7/8 of the sequence back, so attention that
    /// reaches it learns the task and a window that cannot stays at chance.
    /// </summary>
    [Fact]
    public void Retrieval_IsLearnedByFullAttentionAndNotByAWindowThatCannotReachTheValue()
    {
        var task = new RetrievalTask(32);
        var held = ClassifierTraining.Examples(task, 100, seed: 7);
        double Accuracy(AttentionSpec spec)
        {
            using var classifier = new SequenceClassifier(Model(task.VocabSize, spec), task.Classes);
            var trained = ClassifierTraining.Train(classifier, task, Budget, null, CancellationToken.None);
            Assert.Equal(Budget.Steps, trained.Steps);
            return ClassifierTraining.Accuracy(classifier, held, task.PadToken, batchSize: 50);
        }
        var full = Accuracy(new AttentionSpec { Kind = AttentionKind.Full, WindowLeft = null, WindowRight = null, Causal = true });
        var window = Accuracy(new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 4, WindowRight = 0, Causal = true });
        Assert.True(full >= 0.8, $"full attention: {full:P0}");
        Assert.True(window <= 0.3, $"a window of 4 over 2 layers sees 8 tokens back and the value is at least 27 back, yet it scored {window:P0}");
    }

    [Fact]
    public void WithAttention_KeepsTheWeightsAndTheirOutputs()
    {
        var task = new RetrievalTask(32);
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 8, WindowRight = 0, Causal = true };
        using var classifier = new SequenceClassifier(Model(task.VocabSize, spec), task.Classes);
        var (tokens, _) = ClassificationBatch.Of(ClassifierTraining.Examples(task, 3, seed: 1), task.PadToken);
        using var same = classifier.WithAttention(s => s);
        using var wider = classifier.WithAttention(s => s with { WindowLeft = 31 });
        using var full = classifier.WithAttention(_ => new AttentionSpec { Kind = AttentionKind.Full, WindowLeft = null, WindowRight = null, Causal = true });
        using var noGrad = no_grad();
        using var expected = classifier.forward(tokens);
        using var a = same.forward(tokens);
        using var b = wider.forward(tokens);
        using var c = full.forward(tokens);
        Assert.True(expected.equal(a).all().item<bool>());
        // A window of 31 over 32 tokens is full causal attention: the same function, so the same logits.
        Assert.True(b.allclose(c, rtol: 1e-4, atol: 1e-5));
        Assert.False(expected.allclose(b, rtol: 1e-4, atol: 1e-5));
        tokens.Dispose();
    }

    [Fact]
    public void Train_RejectsATaskThatDoesNotFitTheClassifier()
    {
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 4, WindowRight = 0, Causal = true };
        using var classifier = new SequenceClassifier(Model(8, spec), 10);
        var e = Assert.Throws<ArgumentException>(() => ClassifierTraining.Train(classifier, new RetrievalTask(16), Budget, null, CancellationToken.None));
        Assert.Contains("do not fit the model's vocabulary of 8", e.Message, StringComparison.Ordinal);
    }
}
