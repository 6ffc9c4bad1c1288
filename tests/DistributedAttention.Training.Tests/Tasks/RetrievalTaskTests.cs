using DistributedAttention.Training.Tasks;

namespace DistributedAttention.Training.Tests.Tasks;

public sealed class RetrievalTaskTests
{
    [Theory]
    [InlineData(4)]
    [InlineData(9)]
    [InlineData(1024)]
    public void Generate_StatesTheValueOnceEarlyAndAsksAtTheEnd(int length)
    {
        var task = new RetrievalTask(length);
        var random = new Random(5);
        for (var i = 0; i < 50; i++)
        {
            var example = task.Generate(random);
            Assert.Equal(length, example.Tokens.Length);
            Assert.Equal(task.QueryToken, example.Tokens[^1]);
            var key = Array.IndexOf(example.Tokens, task.KeyToken);
            Assert.Equal(key, Array.LastIndexOf(example.Tokens, task.KeyToken));
            Assert.InRange(key, 0, Math.Max(0, (length / 8) - 1));
            Assert.Equal(task.FillerSymbols + example.Label, example.Tokens[key + 1]);
            // The value appears nowhere else; everything else is filler.
            Assert.Equal(length - 3, example.Tokens.Count(t => t < task.FillerSymbols));
            Assert.InRange(example.Label, 0, task.Classes - 1);
        }
    }

    [Fact]
    public void Generate_RejectsTooShortASequence() =>
        Assert.Contains("at least 4 tokens", Assert.Throws<ArgumentException>(() => new RetrievalTask(3).Generate(new Random(1))).Message, StringComparison.Ordinal);

    [Fact]
    public void Batch_PadsOnTheLeftSoEveryRowEndsAtTheLastPosition()
    {
        var (tokens, labels) = ClassificationBatch.Of([new ClassificationExample([1, 2, 3], 4), new ClassificationExample([5], 6)], padToken: 9);
        using (tokens)
        using (labels)
        {
            Assert.Equal(new long[] { 1, 2, 3, 9, 9, 5 }, tokens.data<long>().ToArray());
            Assert.Equal(new long[] { 2, 3 }, tokens.shape);
            Assert.Equal(new long[] { 4, 6 }, labels.data<long>().ToArray());
        }
    }
}
