using System.Text.Json;
using DistributedAttention.Testing.Processes;

namespace DistributedAttention.Text.Tests;

/// <summary>
/// A checkpoint's tokenizer.json of both kinds (byte-level BPE as in Llama 3 and Qwen2; U+2581
/// SentencePiece-style BPE with byte fallback as in Llama 2, Mistral and Gemma), written by hand
/// with the ids it defines worked out beside it: the ids, the special tokens, byte fallback, the
/// round trip and every token's char offset.
/// </summary>
public sealed class PretrainedTokenizerTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "distattn-tokenizers-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    public static TheoryData<string> Kinds => ["byte-level", "sentencepiece"];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Gives_the_ids_the_files_define(string kind)
    {
        var (tokenizer, expected) = Make(kind);
        using var _ = tokenizer;
        foreach (var text in expected.RootElement.GetProperty("ids").EnumerateObject())
        {
            var ids = tokenizer.Encode(text.Name).Tokens.Ids;
            Assert.Equal(text.Value.EnumerateArray().Select(e => e.GetInt32()), ids);
            // The post-processor's BOS comes first, as the file's template says.
            Assert.Equal(expected.RootElement.GetProperty("bos").GetInt32(), ids[0]);
            Assert.Equal(text.Name, tokenizer.Decode(ids));
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Round_trips_a_book_and_places_every_token_at_its_char(string kind)
    {
        var (tokenizer, _) = Make(kind);
        using var __ = tokenizer;
        // Capitals, punctuation, curly quotes and newlines: most of it falls back to bytes in these small vocabularies.
        var text = File.ReadAllText(RealBooks.PathOf(RealBooks.PrideAndPrejudice))[..3000] + " 漢字 — “end”\n";
        var encoded = tokenizer.Encode(text);
        Assert.True(encoded.ExactOffsets);
        var tokens = encoded.Tokens;
        Assert.Equal(text, tokenizer.Decode(tokens.Ids));
        Assert.Equal(0, tokens.Offsets[0]);
        Assert.True(tokens.Offsets.Zip(tokens.Offsets.Skip(1)).All(p => p.First <= p.Second), "offsets go back");
        // Each prefix of whole chars decodes to the text up to its offset.
        for (var i = 1; i < tokens.Count; i += 7)
        {
            if (i < tokens.Count - 1 && tokens.Offsets[i] == tokens.Offsets[i + 1]) continue;
            var prefix = tokenizer.Decode(tokens.Ids[..i]);
            if (prefix.Contains('\uFFFD')) continue;
            Assert.Equal(text[..tokens.Offsets[i]], prefix);
        }
    }

    [Fact]
    public void Refuses_a_missing_or_broken_file_naming_it()
    {
        var missing = Path.Combine(root, "none", "tokenizer.json");
        Assert.Contains("no such file", Assert.Throws<InvalidDataException>(() => PretrainedTokenizer.Load(missing)).Message);

        Directory.CreateDirectory(root);
        var broken = Path.Combine(root, "broken.json");
        File.WriteAllText(broken, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [");
        var e = Assert.Throws<InvalidDataException>(() => PretrainedTokenizer.Load(broken));
        Assert.Contains("broken.json: not valid JSON", e.Message);

        var unigram = Path.Combine(root, "unigram.json");
        File.WriteAllText(unigram, "{\"model\": {\"type\": \"Unigram\", \"vocab\": {}}}");
        Assert.Contains("model type 'Unigram' is not supported", Assert.Throws<InvalidDataException>(() => PretrainedTokenizer.Load(unigram)).Message);

        var (valid, _) = Make("sentencepiece");
        valid.Dispose();
        var wrong = Path.Combine(root, "wrong.json");
        // A merge of symbols the vocabulary lacks: valid JSON, refused by the library.
        File.WriteAllText(wrong, File.ReadAllText(valid.Path).Replace("\"merges\": [", "\"merges\": [\"zz yy\", "));
        Assert.Contains("the tokenizers library cannot load it", Assert.Throws<InvalidDataException>(() => PretrainedTokenizer.Load(wrong)).Message);
    }

    private (PretrainedTokenizer Tokenizer, JsonDocument Expected) Make(string kind)
    {
        var dir = Path.Combine(root, kind);
        var expected = HuggingFaceReference.MakeTokenizer(kind, dir);
        return (PretrainedTokenizer.Load(Path.Combine(dir, "tokenizer.json")), expected);
    }
}
