#!/usr/bin/env python3
"""Small tokenizer.json files of the two kinds pretrained checkpoints ship, built by hand.

  hf_tokenizers.py byte-level DIR      Llama 3 / Qwen2 style: ByteLevel pre-tokenizer and decoder,
                                       256 byte symbols, a few merges, <|begin_of_text|> added by template
  hf_tokenizers.py sentencepiece DIR   Llama 2 / Mistral style: spaces become U+2581 with one prepended,
                                       no pre-tokenizer, byte fallback to <0xNN>, <s> added by template

Each writes tokenizer.json, tokenizer_config.json and generation_config.json into DIR and prints a
JSON object with the ids the files define for a few texts (worked out here from the vocabulary and
merges, not by any tokenizer library), for the tests to compare with.
"""
import json
import os
import sys

WORDS = ["the", "and", "of", "to", "in", "he", "was", "it", "that", "her", "his", "she", "had", "with", "for", "not"]


def bytes_to_unicode():
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) + list(range(ord("\u00ae"), ord("\u00ff") + 1))
    mapping, extra = {}, 0
    for b in range(256):
        if b in keep:
            mapping[b] = chr(b)
        else:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


def merges_for(words, vocab, merges):
    """Left-to-right merges that build each word from its symbols, in order of first use."""
    for word in words:
        symbols = list(word)
        current = symbols[0]
        for s in symbols[1:]:
            merged = current + s
            if merged not in vocab:
                merges.append(f"{current} {s}")
                vocab[merged] = len(vocab)
            current = merged


def template(special, special_id):
    return {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": special, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": special, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {special: {"id": special, "ids": [special_id], "tokens": [special]}},
    }


def added(token_id, content):
    return {"id": token_id, "content": content, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}


def byte_level(directory):
    b2u = bytes_to_unicode()
    vocab = {b2u[b]: b for b in range(256)}
    merges = []
    merges_for(["\u0120" + w for w in WORDS] + WORDS, vocab, merges)
    bos, eos = len(vocab), len(vocab) + 1
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(bos, "<|begin_of_text|>"), added(eos, "<|end_of_text|>")],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": template("<|begin_of_text|>", bos),
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": True, "vocab": vocab, "merges": merges},
    }
    write(directory, tokenizer, "<|begin_of_text|>", "<|end_of_text|>", bos, eos)

    def ids(text):
        # ignore_merges: a pre-token found whole in the vocabulary is one token; the rest are bytes here.
        out = [bos]
        for word in pretokens(text):
            mapped = "".join(b2u[b] for b in word.encode("utf-8"))
            out += [vocab[mapped]] if mapped in vocab else [vocab[c] for c in mapped]
        return out
    return ids, bos


def pretokens(text):
    # The texts below are plain words split by single spaces; GPT-2's pattern gives " word" pieces.
    parts = text.split(" ")
    return [parts[0]] + [" " + p for p in parts[1:]]


def sentencepiece(directory):
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for c in "\u2581abcdefghijklmnopqrstuvwxyz.,;'":
        vocab[c] = len(vocab)
    merges = []
    merges_for(["\u2581" + w for w in WORDS], vocab, merges)
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(0, "<unk>"), added(1, "<s>"), added(2, "</s>")],
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"}, {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
        "pre_tokenizer": None,
        "post_processor": template("<s>", 1),
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": True, "byte_fallback": True, "ignore_merges": False, "vocab": vocab, "merges": merges},
    }
    write(directory, tokenizer, "<s>", "</s>", 1, 2)

    def ids(text):
        # Words of the merge list become one token; any other character is its own symbol or its UTF-8 bytes.
        out = [1]
        for word in ("\u2581" + text.replace(" ", "\u2581")).split("\u2581")[1:]:
            piece = "\u2581" + word
            if piece in vocab:
                out.append(vocab[piece])
                continue
            out.append(vocab["\u2581"])
            for c in word:
                out += [vocab[c]] if c in vocab else [vocab[f"<0x{b:02X}>"] for b in c.encode("utf-8")]
        return out
    return ids, 1


def write(directory, tokenizer, bos, eos, bos_id, eos_id):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False, indent=1)
    with open(os.path.join(directory, "tokenizer_config.json"), "w") as f:
        json.dump({"add_bos_token": True, "add_eos_token": False, "bos_token": bos, "eos_token": eos, "model_max_length": 4096}, f)
    with open(os.path.join(directory, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": bos_id, "eos_token_id": eos_id}, f)


TEXTS = ["the cat", "she had it with her", "was not that the", "zq"]


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("byte-level", "sentencepiece"):
        raise SystemExit(__doc__)
    ids, bos = (byte_level if sys.argv[1] == "byte-level" else sentencepiece)(sys.argv[2])
    print(json.dumps({"bos": bos, "ids": {t: ids(t) for t in TEXTS}}))


if __name__ == "__main__":
    main()
