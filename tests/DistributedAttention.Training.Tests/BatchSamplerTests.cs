namespace DistributedAttention.Training.Tests;

public sealed class BatchSamplerTests
{
    private static List<BookSplit> Splits() =>
    [
        new("a.txt", [.. Enumerable.Range(0, 100)], []),
        new("b.txt", [.. Enumerable.Range(1000, 40)], []),
        new("short.txt", [.. Enumerable.Range(5000, 10)], []),
    ];

    [Fact]
    public void A_step_always_gets_the_same_batch_of_consecutive_training_tokens_and_their_successors()
    {
        var sampler = new BatchSampler(Splits(), batchSize: 6, sequenceLength: 16, seed: 9);
        var again = new BatchSampler(Splits(), batchSize: 6, sequenceLength: 16, seed: 9);
        var (inputs, targets) = sampler.Batch(7);
        var (inputs2, targets2) = again.Batch(7);
        using (inputs)
        using (targets)
        using (inputs2)
        using (targets2)
        {
            Assert.True(inputs.equal(inputs2).all().item<bool>() && targets.equal(targets2).all().item<bool>());
            var rows = inputs.data<long>().ToArray().Chunk(16).Zip(targets.data<long>().ToArray().Chunk(16));
            foreach (var (row, next) in rows)
            {
                // One run of consecutive ids (so one book), shifted by one in the targets; never the book too short to hold a sequence.
                Assert.All(Enumerable.Range(1, 15), t => Assert.Equal(row[t - 1] + 1, row[t]));
                Assert.Equal(row.Select(id => id + 1), next);
                Assert.True(row[0] is >= 0 and <= 100 - 17 or >= 1000 and <= 1040 - 17, $"row starts at {row[0]}");
            }
        }
    }

    [Fact]
    public void Steps_and_seeds_draw_different_batches_and_both_books_are_read()
    {
        var sampler = new BatchSampler(Splits(), batchSize: 4, sequenceLength: 8, seed: 1);
        var other = new BatchSampler(Splits(), batchSize: 4, sequenceLength: 8, seed: 2);
        var starts = new HashSet<long>();
        for (var step = 1; step <= 50; step++)
        {
            var (inputs, targets) = sampler.Batch(step);
            using (inputs)
            using (targets)
            {
                foreach (var row in inputs.data<long>().ToArray().Chunk(8)) starts.Add(row[0]);
            }
        }
        Assert.Contains(starts, s => s < 1000);
        Assert.Contains(starts, s => s >= 1000);
        var (a, ta) = sampler.Batch(3);
        var (b, tb) = other.Batch(3);
        using (a)
        using (ta)
        using (b)
        using (tb)
        {
            Assert.False(a.equal(b).all().item<bool>());
        }
    }

    [Fact]
    public void Books_all_shorter_than_a_sequence_are_refused_with_the_longest_length()
    {
        var e = Assert.Throws<ArgumentException>(() => new BatchSampler(Splits(), batchSize: 1, sequenceLength: 100, seed: 1));
        Assert.Contains("no book has more than 100 training tokens", e.Message, StringComparison.Ordinal);
        Assert.Contains("100", e.Message, StringComparison.Ordinal);
    }
}
