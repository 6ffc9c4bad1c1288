using System.Text.Json;
using Tokenizers.DotNet;

namespace DistributedAttention.Text;

/// <summary>
/// A checkpoint's own tokenizer from its <c>tokenizer.json</c>, run by Hugging Face's tokenizers
/// library itself (through Tokenizers.DotNet), so the ids are the ones the model was trained on:
/// normalizer, pre-tokenizer, BPE with or without byte fallback, and the special tokens the
/// post-processor adds (BOS). The library gives ids only; the char offset of each token, which the
/// sections need, comes from the bytes each token stands for in the file's vocabulary (<see cref="TokenPieces"/>).
/// </summary>
public sealed class PretrainedTokenizer : IDisposable
{
    private readonly Tokenizer tokenizer;
    private readonly TokenPieces pieces;

    private PretrainedTokenizer(string path, Tokenizer tokenizer, TokenPieces pieces)
    {
        Path = path;
        this.tokenizer = tokenizer;
        this.pieces = pieces;
    }

    /// <summary>The tokenizer.json it was read from.</summary>
    public string Path { get; }

    /// <summary>One more than the largest id of the vocabulary and the added tokens.</summary>
    public int VocabSize => pieces.Count;

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is missing, not JSON, or not a tokenizer the library can load; the message names it.</exception>
    public static PretrainedTokenizer Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: no such file (a model folder's tokenizer is its tokenizer.json).");
        TokenPieces pieces;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            pieces = TokenPieces.Read(document.RootElement, path);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e);
        }
        Tokenizer tokenizer;
        try
        {
            tokenizer = new Tokenizer(path);
        }
        catch (Exception e) when (e is TokenizerException or InvalidOperationException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: the tokenizers library cannot load it ({e.Message}).", e);
        }
        return new PretrainedTokenizer(path, tokenizer, pieces);
    }

    /// <summary>
    /// Encodes <paramref name="text"/> as the checkpoint's tokenizer does (special tokens included),
    /// with each token's first char. Where the tokenizer's normalizer changed the text (so its bytes
    /// no longer line up with the pieces), offsets are spread in proportion and <see cref="EncodedBook.ExactOffsets"/> is false.
    /// </summary>
    public EncodedBook Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = Array.ConvertAll(tokenizer.Encode(text), id => checked((int)id));
        var (offsets, exact) = pieces.CharOffsets(ids, text);
        return new EncodedBook(new TokenizedText(ids, offsets, text.Length), exact);
    }

    /// <summary>The text of <paramref name="ids"/>, special tokens left out.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return tokenizer.Decode([.. ids.Select(id => checked((uint)id))]);
    }

    /// <inheritdoc />
    public void Dispose() => tokenizer.Dispose();
}

/// <summary>A text encoded by a <see cref="PretrainedTokenizer"/>.</summary>
/// <param name="Tokens">Ids and the first char of each.</param>
/// <param name="ExactOffsets">Whether the offsets are exact (false: the normalizer changed the text and they were spread in proportion).</param>
public sealed record EncodedBook(TokenizedText Tokens, bool ExactOffsets);
