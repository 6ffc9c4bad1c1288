namespace DistributedAttention.Training;

/// <summary>
/// The bar a language model must clear: a unigram model of the training tokens with add-one
/// smoothing over the whole vocabulary, scored on the same held-out targets as the model
/// (every token of a section but its first).
/// </summary>
public static class UnigramBaseline
{
    /// <summary>Held-out loss of the add-one unigram model of <paramref name="splits"/>' training tokens.</summary>
    /// <exception cref="ArgumentException">A token id lies outside [0, <paramref name="vocabSize"/>).</exception>
    public static HeldOutLoss Evaluate(IReadOnlyList<BookSplit> splits, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(splits);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, 1);
        var counts = new long[vocabSize];
        long total = 0;
        foreach (var split in splits)
        {
            foreach (var id in split.Train)
            {
                if ((uint)id >= (uint)vocabSize) throw new ArgumentException($"{split.Book}: token id {id} is outside the vocabulary [0, {vocabSize}).", nameof(splits));
                counts[id]++;
            }
            total += split.Train.Length;
        }
        var denominator = Math.Log(total + vocabSize);
        var sections = new List<SectionLoss>();
        foreach (var section in splits.SelectMany(s => s.HeldOut))
        {
            var sum = 0.0;
            for (var i = 1; i < section.Tokens.Length; i++)
            {
                var id = section.Tokens[i];
                var count = (uint)id < (uint)vocabSize ? counts[id] : 0;
                sum += denominator - Math.Log(count + 1);
            }
            sections.Add(new SectionLoss(section.Book, section.Title, sum, Math.Max(0, section.Tokens.Length - 1)));
        }
        return new HeldOutLoss(sections);
    }
}
