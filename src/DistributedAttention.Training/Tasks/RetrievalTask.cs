namespace DistributedAttention.Training.Tasks;

/// <summary>
/// Long-range retrieval: a value is stated once near the start (a KEY marker followed by one of
/// <see cref="Values"/> value tokens, at a random position in the first <see cref="StatedWithin"/>
/// of the sequence), filler follows, and the sequence ends with a QUERY marker; the class is the
/// value. The answer is always at least (1 − <see cref="StatedWithin"/>) · n − 2 positions before
/// the query, so a window shorter than that (times the layers) cannot see it, while global tokens,
/// memory or any mechanism that reaches the whole sequence can.
/// </summary>
/// <param name="Length">Tokens per example.</param>
/// <param name="FillerSymbols">Distinct filler tokens.</param>
/// <param name="Values">Distinct values: the classes.</param>
/// <param name="StatedWithin">The KEY marker lies in the first this fraction of the sequence.</param>
public sealed record RetrievalTask(int Length, int FillerSymbols = 16, int Values = 10, double StatedWithin = 0.125) : IClassificationTask
{
    /// <inheritdoc />
    public string Name => "retrieval";

    /// <summary>The marker before the value.</summary>
    public int KeyToken => FillerSymbols + Values;

    /// <summary>The last token of every example.</summary>
    public int QueryToken => KeyToken + 1;

    /// <inheritdoc />
    public int VocabSize => FillerSymbols + Values + 3;

    /// <inheritdoc />
    public int Classes => Values;

    /// <inheritdoc />
    public int PadToken => QueryToken + 1;

    /// <inheritdoc />
    public ClassificationExample Generate(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (Length < 4) throw new ArgumentException($"a retrieval example needs at least 4 tokens (KEY, value, filler, QUERY); got {Length}.");
        if (FillerSymbols < 1 || Values < 2) throw new ArgumentException($"retrieval needs a filler symbol and at least 2 values; got {FillerSymbols} and {Values}.");
        if (StatedWithin is <= 0 or > 1) throw new ArgumentException($"the stated-within fraction must be in (0, 1]; got {StatedWithin}.");
        var tokens = new int[Length];
        for (var i = 0; i < Length; i++) tokens[i] = random.Next(FillerSymbols);
        // KEY at p and the value at p + 1, both before the filler that precedes the query.
        var last = Math.Min(Length - 3, Math.Max(0, (int)(Length * StatedWithin) - 1));
        var key = random.Next(last + 1);
        var value = random.Next(Values);
        tokens[key] = KeyToken;
        tokens[key + 1] = FillerSymbols + value;
        tokens[^1] = QueryToken;
        return new ClassificationExample(tokens, value);
    }
}
