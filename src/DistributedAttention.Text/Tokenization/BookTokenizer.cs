using Microsoft.ML.Tokenizers;

namespace DistributedAttention.Text;

/// <summary>
/// GPT-2 byte-level BPE (the <c>r50k</c>/<c>gpt2</c> tiktoken vocabulary, shipped in a NuGet
/// package, so nothing is downloaded) over whole books, with the char offset of every token.
/// </summary>
/// <remarks>
/// <see cref="Encode"/> works in pieces of about <see cref="DefaultPieceChars"/> chars, cut only
/// where the result is provably the same as encoding the whole text at once (see
/// <see cref="ChunkSplitter"/>); memory beyond the result stays bounded by one piece and time is
/// linear. The text <c>&lt;|endoftext|&gt;</c> inside a book is encoded as the special token, as
/// the underlying tokenizer does.
/// </remarks>
public sealed class BookTokenizer
{
    /// <summary>Chars per piece that <see cref="Encode"/> aims for.</summary>
    public const int DefaultPieceChars = 64 * 1024;

    private static readonly Lazy<BookTokenizer> SharedGpt2 =
        new(() => new BookTokenizer(TiktokenTokenizer.CreateForModel("gpt2"), "gpt2"));

    private readonly TiktokenTokenizer _tokenizer;

    private BookTokenizer(TiktokenTokenizer tokenizer, string name)
    {
        _tokenizer = tokenizer;
        Name = name;
        // Special tokens follow the BPE ranks, so the largest special id is the last id.
        VocabSize = tokenizer.SpecialTokens is { Count: > 0 } special ? special.Values.Max() + 1 : 0;
        EndOfTextId = tokenizer.SpecialTokens?.GetValueOrDefault("<|endoftext|>", -1) ?? -1;
    }

    /// <summary>The GPT-2 tokenizer (50,257 ids), created once on first use.</summary>
    public static BookTokenizer Gpt2 => SharedGpt2.Value;

    /// <summary>The vocabulary's name, <c>gpt2</c>.</summary>
    public string Name { get; }

    /// <summary>Number of distinct ids: every id is in <c>[0, VocabSize)</c>.</summary>
    public int VocabSize { get; }

    /// <summary>Id of <c>&lt;|endoftext|&gt;</c>, or -1 if the vocabulary has none.</summary>
    public int EndOfTextId { get; }

    /// <summary>Encodes a text of any length into ids and char offsets.</summary>
    /// <param name="text">The text, e.g. a whole decoded book.</param>
    public TokenizedText Encode(string text) => EncodeInPieces(text, DefaultPieceChars);

    /// <summary>Encodes in pieces of about <paramref name="pieceChars"/> chars (tests use small pieces).</summary>
    internal TokenizedText EncodeInPieces(string text, int pieceChars)
    {
        ArgumentNullException.ThrowIfNull(text);
        // About 4 chars per token in English prose; the builders grow if that is short.
        var ids = new List<int>(text.Length / 4 + 16);
        var offsets = new List<int>(text.Length / 4 + 16);
        var start = 0;
        foreach (var end in ChunkSplitter.PieceEnds(text, pieceChars))
        {
            IReadOnlyList<EncodedToken> tokens = _tokenizer.EncodeToTokens(
                text.AsSpan(start, end - start), out _, considerPreTokenization: true, considerNormalization: false);
            foreach (EncodedToken token in tokens)
            {
                ids.Add(token.Id);
                offsets.Add(start + token.Offset.Start.Value);
            }

            start = end;
        }

        return new TokenizedText([.. ids], [.. offsets], text.Length);
    }

    /// <summary>Ids of the whole text in one call: the reference the piecewise encoding must equal.</summary>
    internal int[] EncodeWhole(string text) => [.. _tokenizer.EncodeToIds(text, considerPreTokenization: true, considerNormalization: false)];

    /// <summary>Decodes ids back to text; <c>Decode(Encode(t).Ids) == t</c>.</summary>
    /// <param name="ids">Token ids.</param>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return _tokenizer.Decode(ids);
    }
}
