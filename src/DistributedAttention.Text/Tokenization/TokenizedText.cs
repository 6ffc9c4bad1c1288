namespace DistributedAttention.Text;

/// <summary>
/// Token ids of a text and, for each token, the offset of the char where it starts.
/// Token <c>i</c> covers chars <c>[Offsets[i], Offsets[i + 1])</c>, the last one up to
/// <see cref="TextLength"/>. Offsets never decrease; GPT-2 splits some characters (e.g. “ or
/// CJK) into several byte-level tokens, which then share the offset of that character.
/// </summary>
public sealed class TokenizedText
{
    /// <summary>Wraps arrays the caller no longer changes.</summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="offsets">Start char of each token; same length as <paramref name="ids"/>.</param>
    /// <param name="textLength">Length of the text that was encoded.</param>
    public TokenizedText(int[] ids, int[] offsets, int textLength)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(offsets);
        if (ids.Length != offsets.Length)
        {
            throw new ArgumentException($"{ids.Length} ids but {offsets.Length} offsets.", nameof(offsets));
        }

        Ids = ids;
        Offsets = offsets;
        TextLength = textLength;
    }

    /// <summary>Token ids, in text order.</summary>
    public int[] Ids { get; }

    /// <summary>Start char of each token in the encoded text.</summary>
    public int[] Offsets { get; }

    /// <summary>Length in chars of the encoded text.</summary>
    public int TextLength { get; }

    /// <summary>Number of tokens.</summary>
    public int Count => Ids.Length;

    /// <summary>Start char of token <paramref name="index"/>; <see cref="TextLength"/> for <c>index == Count</c>.</summary>
    public int CharStart(int index) => index == Count ? TextLength : Offsets[index];

    /// <summary>
    /// Index of the first token that starts at or after <paramref name="charOffset"/>
    /// (<see cref="Count"/> if none). A token belongs to the span that holds its first char.
    /// </summary>
    public int FirstTokenAtOrAfter(int charOffset)
    {
        var lo = 0;
        var hi = Count;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            if (Offsets[mid] < charOffset)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>Tokens that start in chars <c>[charStart, charEnd)</c>, as a half-open range of token indices.</summary>
    public (int Start, int End) TokenRange(int charStart, int charEnd) =>
        (FirstTokenAtOrAfter(charStart), FirstTokenAtOrAfter(charEnd));
}
