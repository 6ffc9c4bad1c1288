using System.Text;
using System.Text.Json;

namespace DistributedAttention.Text;

/// <summary>
/// The bytes each id of a tokenizer.json stands for: byte-level vocabularies (GPT-2's printable
/// map of the 256 bytes: Llama 3, Qwen2) read back through that map; SentencePiece-style ones
/// (Llama 2, Mistral, Gemma) with U+2581 as a space and <c>&lt;0xNN&gt;</c> as byte NN; special
/// tokens stand for nothing. Summed over a text's ids they give each token's byte offset, hence
/// its char offset. Written here because the tokenizers library's .NET wrapper returns ids only.
/// </summary>
internal sealed class TokenPieces
{
    private readonly byte[][] bytes;

    private TokenPieces(byte[][] bytes) => this.bytes = bytes;

    public int Count => bytes.Length;

    public static TokenPieces Read(JsonElement root, string source)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object
            || !model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{source}: has no model.vocab object; only BPE tokenizers (the five supported families') are read.");
        if (model.TryGetProperty("type", out var type) && type.GetString() is { } name && name != "BPE")
            throw new InvalidDataException($"{source}: model type '{name}' is not supported (BPE only).");
        var byteLevel = UsesByteLevel(root);
        var strings = new Dictionary<int, (string Text, bool Special)>();
        foreach (var entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out var id) || id < 0)
                throw new InvalidDataException($"{source}: vocabulary entry '{entry.Name}' has id {entry.Value.GetRawText()}, not an id >= 0.");
            strings[id] = (entry.Name, false);
        }
        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
        {
            foreach (var token in added.EnumerateArray())
            {
                if (!token.TryGetProperty("id", out var idElement) || !idElement.TryGetInt32(out var id) || !token.TryGetProperty("content", out var content))
                    throw new InvalidDataException($"{source}: an added token lacks its id or content.");
                strings[id] = (content.GetString() ?? "", token.TryGetProperty("special", out var special) && special.ValueKind == JsonValueKind.True);
            }
        }
        if (strings.Count == 0) throw new InvalidDataException($"{source}: the vocabulary is empty.");
        var table = new byte[strings.Keys.Max() + 1][];
        var fromPrintable = byteLevel ? PrintableBytes() : null;
        foreach (var (id, (text, special)) in strings) table[id] = special ? [] : Bytes(text, fromPrintable);
        for (var i = 0; i < table.Length; i++) table[i] ??= [];
        return new TokenPieces(table);
    }

    /// <summary>
    /// Char offsets of <paramref name="ids"/> in <paramref name="text"/>, and whether they are exact:
    /// the pieces' bytes must add up to the text's UTF-8 (one more where a space was prepended).
    /// </summary>
    public (int[] Offsets, bool Exact) CharOffsets(int[] ids, string text)
    {
        var starts = new long[ids.Length];
        long total = 0;
        for (var i = 0; i < ids.Length; i++)
        {
            starts[i] = total;
            total += ids[i] >= 0 && ids[i] < bytes.Length ? bytes[ids[i]].Length : 0;
        }
        long textBytes = Encoding.UTF8.GetByteCount(text);
        var prepended = total == textBytes + 1 && FirstPieceStartsWithSpace(ids);
        var exact = total == textBytes || prepended;
        var offsets = new int[ids.Length];
        // Walk the text's chars and the tokens' byte starts together.
        var (charIndex, charByte) = (0, 0L);
        for (var i = 0; i < ids.Length; i++)
        {
            var target = exact ? Math.Max(0, starts[i] - (prepended ? 1 : 0)) : (long)((double)starts[i] * textBytes / Math.Max(total, 1));
            while (charIndex < text.Length)
            {
                var width = CharBytes(text, charIndex, out var units);
                if (charByte + width > target) break;
                charByte += width;
                charIndex += units;
            }
            offsets[i] = charIndex;
        }
        return (offsets, exact);
    }

    private bool FirstPieceStartsWithSpace(int[] ids)
    {
        foreach (var id in ids)
        {
            if (id < 0 || id >= bytes.Length || bytes[id].Length == 0) continue;
            return bytes[id][0] == (byte)' ';
        }
        return false;
    }

    private static int CharBytes(string text, int index, out int units)
    {
        units = char.IsHighSurrogate(text[index]) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]) ? 2 : 1;
        return units == 2 ? 4 : text[index] switch { < (char)0x80 => 1, < (char)0x800 => 2, _ => 3 };
    }

    private static byte[] Bytes(string piece, Dictionary<char, byte>? fromPrintable)
    {
        if (fromPrintable is not null)
        {
            var result = new List<byte>(piece.Length);
            foreach (var c in piece)
            {
                if (fromPrintable.TryGetValue(c, out var b)) result.Add(b);
                else result.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
            return [.. result];
        }
        if (piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>' && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out var value))
            return [value];
        return Encoding.UTF8.GetBytes(piece.Replace('\u2581', ' '));
    }

    /// <summary>Whether the decoder (or one in a sequence) is ByteLevel.</summary>
    private static bool UsesByteLevel(JsonElement root)
    {
        static bool Has(JsonElement e) => e.ValueKind == JsonValueKind.Object && (
            (e.TryGetProperty("type", out var t) && t.GetString() == "ByteLevel")
            || (e.TryGetProperty("decoders", out var list) && list.ValueKind == JsonValueKind.Array && list.EnumerateArray().Any(Has))
            || (e.TryGetProperty("pretokenizers", out var pre) && pre.ValueKind == JsonValueKind.Array && pre.EnumerateArray().Any(Has)));
        return (root.TryGetProperty("decoder", out var decoder) && Has(decoder)) || (root.TryGetProperty("pre_tokenizer", out var p) && Has(p));
    }

    /// <summary>GPT-2's map from printable chars back to the 256 bytes.</summary>
    private static Dictionary<char, byte> PrintableBytes()
    {
        var map = new Dictionary<char, byte>();
        var extra = 0;
        for (var b = 0; b < 256; b++)
        {
            var kept = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[kept ? (char)b : (char)(256 + extra++)] = (byte)b;
        }
        return map;
    }
}
