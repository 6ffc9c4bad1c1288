using static TorchSharp.torch;

namespace DistributedAttention.Training;

/// <summary>
/// Seeded training batches: each row is a run of <c>L + 1</c> consecutive training tokens from a
/// book chosen in proportion to its training tokens, at a uniform start. A batch depends only on
/// the seed and the step, so a resumed run reads exactly the batches an unbroken one would.
/// </summary>
public sealed class BatchSampler
{
    private readonly IReadOnlyList<int[]> books;
    private readonly long[] usableEnds;
    private readonly int batchSize;
    private readonly int length;
    private readonly ulong seed;

    /// <summary>A sampler over the training tokens of <paramref name="splits"/>.</summary>
    /// <exception cref="ArgumentException">No book has more than <paramref name="sequenceLength"/> training tokens.</exception>
    public BatchSampler(IReadOnlyList<BookSplit> splits, int batchSize, int sequenceLength, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(splits);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        books = [.. splits.Select(s => s.Train)];
        this.batchSize = batchSize;
        length = sequenceLength;
        this.seed = seed;
        usableEnds = new long[books.Count];
        long total = 0;
        for (var i = 0; i < books.Count; i++)
        {
            // Starts 0 .. len-L-1 leave room for the L inputs and the target after the last.
            total += Math.Max(0, books[i].Length - sequenceLength);
            usableEnds[i] = total;
        }
        if (total == 0)
        {
            throw new ArgumentException(
                $"no book has more than {sequenceLength:N0} training tokens (the sequence length): the longest has {splits.Select(s => s.Train.Length).DefaultIfEmpty(0).Max():N0}; give longer books or a shorter sequence length.");
        }
        StartCount = total;
    }

    /// <summary>How many distinct sequence starts the training tokens offer.</summary>
    public long StartCount { get; }

    /// <summary>Tokens one batch predicts.</summary>
    public int TokensPerBatch => batchSize * length;

    /// <summary>The batch of optimiser step <paramref name="step"/>: inputs and next-token targets, both (batch, L) int64.</summary>
    public (Tensor Inputs, Tensor Targets) Batch(int step)
    {
        var inputs = new long[batchSize * length];
        var targets = new long[batchSize * length];
        for (var row = 0; row < batchSize; row++)
        {
            var draw = SplitMix(seed ^ SplitMix(((ulong)step * (ulong)batchSize) + (ulong)row));
            var start = (long)Math.BigMul(draw, (ulong)StartCount, out _);
            var book = Array.FindIndex(usableEnds, end => start < end);
            var offset = (int)(start - (book == 0 ? 0 : usableEnds[book - 1]));
            var tokens = books[book];
            for (var t = 0; t < length; t++)
            {
                inputs[(row * length) + t] = tokens[offset + t];
                targets[(row * length) + t] = tokens[offset + t + 1];
            }
        }
        return (tensor(inputs, [batchSize, length]), tensor(targets, [batchSize, length]));
    }

    // SplitMix64 (Steele, Lea, Flood 2014): a fixed, well-mixed hash, the same on every runtime.
    private static ulong SplitMix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
