#!/usr/bin/env python3
"""Tiny random checkpoints in the Hugging Face layout, and a float64 reference forward.

Written from the families' published definitions (transformers' modeling_llama, modeling_mistral,
modeling_qwen2, modeling_gemma2 and modeling_gemma3), independently of the C# code it checks:
dense n x n masks, repeat_kv, rotate_half, one softmax per layer.

  hf_reference.py make DIR SPEC_JSON      writes config.json and the weights of SPEC into DIR
  hf_reference.py run DIR IDS_JSON OUT    writes hidden (n, hidden), logprob and entropy (n - 1)
                                          of the token ids in IDS_JSON to OUT (safetensors, float64)
"""
import json
import math
import os
import sys

import torch
from safetensors.torch import load_file, save_file

DTYPES = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}


# ---------------------------------------------------------------- checkpoints

def make(directory, spec):
    family = spec["family"]
    gemma = family in ("gemma2", "gemma3")
    hidden, layers, heads = spec["hidden"], spec["layers"], spec["heads"]
    kv_heads = spec.get("kv_heads", heads)
    head_dim = spec.get("head_dim", hidden // heads)
    ffn, vocab = spec["ffn"], spec["vocab"]
    tied = spec.get("tied", gemma)
    text = {
        "model_type": "gemma3_text" if family == "gemma3" else family,
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "head_dim": head_dim,
        "intermediate_size": ffn,
        "vocab_size": vocab,
        "rms_norm_eps": 1e-6,
        "tie_word_embeddings": tied,
        "max_position_embeddings": spec.get("max_positions", 4096),
        "attention_dropout": 0.0,
        "torch_dtype": {"f32": "float32", "bf16": "bfloat16", "f16": "float16"}[spec.get("dtype", "f32")],
    }
    if gemma:
        text.update({
            "hidden_activation": "gelu_pytorch_tanh",
            "query_pre_attn_scalar": spec.get("query_pre_attn_scalar", head_dim),
            "sliding_window": spec.get("sliding_window", 4096),
        })
        if family == "gemma2":
            text.update({"attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0, "rope_theta": 10000.0})
        else:
            text.update({"sliding_window_pattern": 6, "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0,
                         "attn_logit_softcapping": None, "final_logit_softcapping": None, "rope_scaling": None})
    else:
        text.update({"hidden_act": "silu", "rope_theta": 10000.0})
        if family == "mistral":
            text["sliding_window"] = spec.get("sliding_window", 4096)
        if family == "qwen2":
            text.update({"use_sliding_window": False, "sliding_window": spec.get("sliding_window", 4096), "max_window_layers": 28})
    text.update(spec.get("config", {}))

    prefix = "model."
    if spec.get("multimodal"):
        config = {"model_type": "gemma3", "text_config": text, "vision_config": {"model_type": "siglip_vision_model"}}
        prefix = "language_model.model."
    else:
        config = text

    g = torch.Generator().manual_seed(spec.get("seed", 0))

    def normal(*shape, std):
        return torch.randn(*shape, generator=g, dtype=torch.float64) * std

    def norm_weight(n):
        # Gemma stores w and applies 1 + w; the others store the multiplier itself.
        return normal(n, std=0.1) if gemma else 1 + normal(n, std=0.1)

    t = {prefix + "embed_tokens.weight": normal(vocab, hidden, std=1.0 if not gemma else 1 / math.sqrt(hidden)),
         prefix + "norm.weight": norm_weight(hidden)}
    if not tied:
        t["lm_head.weight"] = normal(vocab, hidden, std=1 / math.sqrt(hidden))
    qkv_bias = family == "qwen2" or text.get("attention_bias", False)
    for i in range(layers):
        p = f"{prefix}layers.{i}."
        t[p + "input_layernorm.weight"] = norm_weight(hidden)
        t[p + "post_attention_layernorm.weight"] = norm_weight(hidden)
        if gemma:
            t[p + "pre_feedforward_layernorm.weight"] = norm_weight(hidden)
            t[p + "post_feedforward_layernorm.weight"] = norm_weight(hidden)
        t[p + "self_attn.q_proj.weight"] = normal(heads * head_dim, hidden, std=1 / math.sqrt(hidden))
        t[p + "self_attn.k_proj.weight"] = normal(kv_heads * head_dim, hidden, std=1 / math.sqrt(hidden))
        t[p + "self_attn.v_proj.weight"] = normal(kv_heads * head_dim, hidden, std=1 / math.sqrt(hidden))
        t[p + "self_attn.o_proj.weight"] = normal(hidden, heads * head_dim, std=1 / math.sqrt(heads * head_dim))
        if qkv_bias:
            t[p + "self_attn.q_proj.bias"] = normal(heads * head_dim, std=0.1)
            t[p + "self_attn.k_proj.bias"] = normal(kv_heads * head_dim, std=0.1)
            t[p + "self_attn.v_proj.bias"] = normal(kv_heads * head_dim, std=0.1)
        if text.get("attention_bias", False):
            t[p + "self_attn.o_proj.bias"] = normal(hidden, std=0.1)
        if family == "gemma3":
            t[p + "self_attn.q_norm.weight"] = norm_weight(head_dim)
            t[p + "self_attn.k_norm.weight"] = norm_weight(head_dim)
        t[p + "mlp.gate_proj.weight"] = normal(ffn, hidden, std=1 / math.sqrt(hidden))
        t[p + "mlp.up_proj.weight"] = normal(ffn, hidden, std=1 / math.sqrt(hidden))
        t[p + "mlp.down_proj.weight"] = normal(hidden, ffn, std=1 / math.sqrt(ffn))
        if text.get("mlp_bias", False):
            for name, size in (("gate_proj", ffn), ("up_proj", ffn), ("down_proj", hidden)):
                t[p + f"mlp.{name}.bias"] = normal(size, std=0.1)

    dtype = DTYPES[spec.get("dtype", "f32")]
    t = {k: v.to(dtype).contiguous() for k, v in t.items()}
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    shards = spec.get("shards", 1)
    if shards == 1:
        save_file(t, os.path.join(directory, "model.safetensors"), metadata={"format": "pt"})
        return
    names = sorted(t)
    weight_map = {}
    for s in range(shards):
        file = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        part = {n: t[n] for n in names[s::shards]}
        save_file(part, os.path.join(directory, file), metadata={"format": "pt"})
        weight_map.update({n: file for n in part})
    total = sum(v.numel() * v.element_size() for v in t.values())
    with open(os.path.join(directory, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)


# ---------------------------------------------------------------- reference forward

def inv_freq(theta, head_dim, scaling):
    freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    kind = (scaling or {}).get("rope_type", (scaling or {}).get("type", "default"))
    if kind == "default":
        return freq
    if kind == "linear":
        return freq / scaling["factor"]
    if kind == "llama3":
        factor, low, high = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
        old = scaling["original_max_position_embeddings"]
        wavelen = 2 * math.pi / freq
        scaled = torch.where(wavelen > old / low, freq / factor, freq)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < old / high) & ~(wavelen > old / low)
        return torch.where(medium, smoothed, scaled)
    raise SystemExit(f"rope type {kind} not in the reference")


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rope(x, freq, positions):
    angles = positions[:, None].to(torch.float64) * freq[None, :]
    emb = torch.cat((angles, angles), dim=-1)
    return x * emb.cos() + rotate_half(x) * emb.sin()


def run(directory, ids):
    with open(os.path.join(directory, "config.json")) as f:
        config = json.load(f)
    prefix = "model."
    if config["model_type"] == "gemma3":
        config, prefix = config["text_config"], "language_model.model."
    family = config["model_type"]
    gemma = family in ("gemma2", "gemma3_text")
    w = {}
    for name in os.listdir(directory):
        if name.endswith(".safetensors"):
            w.update({k: v.to(torch.float64) for k, v in load_file(os.path.join(directory, name)).items()})

    hidden, layers = config["hidden_size"], config["num_hidden_layers"]
    heads = config["num_attention_heads"]
    kv_heads = config.get("num_key_value_heads", heads)
    head_dim = config.get("head_dim") or hidden // heads
    eps = config["rms_norm_eps"]

    def rms(x, weight):
        y = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
        return y * (1 + weight) if gemma else y * weight

    def sliding(i):
        if "layer_types" in config:
            return config["layer_types"][i] == "sliding_attention"
        if family == "mistral":
            return config.get("sliding_window") is not None
        if family == "qwen2":
            return bool(config.get("use_sliding_window")) and i >= config.get("max_window_layers", 28)
        if family == "gemma2":
            return i % 2 == 0
        if family == "gemma3_text":
            return (i + 1) % config.get("sliding_window_pattern", 6) != 0
        return False

    n = len(ids)
    ids_t = torch.tensor(ids, dtype=torch.long)
    positions = torch.arange(n)
    x = w[prefix + "embed_tokens.weight"][ids_t]
    if gemma:
        x = x * (hidden ** 0.5)
    scaling = config["query_pre_attn_scalar"] ** -0.5 if gemma else head_dim ** -0.5
    softcap = config.get("attn_logit_softcapping") if gemma else None
    i_idx, j_idx = positions[:, None], positions[None, :]
    for i in range(layers):
        p = f"{prefix}layers.{i}."

        def lin(v, name):
            out = v @ w[p + name + ".weight"].T
            return out + w[p + name + ".bias"] if p + name + ".bias" in w else out

        h = rms(x, w[p + "input_layernorm.weight"])
        q = lin(h, "self_attn.q_proj").view(n, heads, head_dim).transpose(0, 1)
        k = lin(h, "self_attn.k_proj").view(n, kv_heads, head_dim).transpose(0, 1)
        v = lin(h, "self_attn.v_proj").view(n, kv_heads, head_dim).transpose(0, 1)
        if family == "gemma3_text":
            q, k = rms(q, w[p + "self_attn.q_norm.weight"]), rms(k, w[p + "self_attn.k_norm.weight"])
        is_sliding = sliding(i)
        if family == "gemma3_text" and is_sliding:
            freq = inv_freq(config.get("rope_local_base_freq", 10000.0), head_dim, None)
        else:
            freq = inv_freq(config.get("rope_theta", 10000.0), head_dim, config.get("rope_scaling"))
        q, k = rope(q, freq, positions), rope(k, freq, positions)
        k = k.repeat_interleave(heads // kv_heads, dim=0)
        v = v.repeat_interleave(heads // kv_heads, dim=0)
        scores = (q @ k.transpose(-1, -2)) * scaling
        if softcap is not None:
            scores = torch.tanh(scores / softcap) * softcap
        visible = j_idx <= i_idx
        if is_sliding:
            # sliding_window W: key j is visible to query i when i - W < j <= i.
            visible = visible & (j_idx > i_idx - config["sliding_window"])
        scores = scores.masked_fill(~visible, float("-inf"))
        attn = torch.softmax(scores, dim=-1) @ v
        o = lin(attn.transpose(0, 1).reshape(n, heads * head_dim), "self_attn.o_proj")
        if gemma:
            x = x + rms(o, w[p + "post_attention_layernorm.weight"])
            m = rms(x, w[p + "pre_feedforward_layernorm.weight"])
            act = torch.nn.functional.gelu(lin(m, "mlp.gate_proj"), approximate="tanh")
            x = x + rms(lin(act * lin(m, "mlp.up_proj"), "mlp.down_proj"), w[p + "post_feedforward_layernorm.weight"])
        else:
            x = x + o
            m = rms(x, w[p + "post_attention_layernorm.weight"])
            x = x + lin(torch.nn.functional.silu(lin(m, "mlp.gate_proj")) * lin(m, "mlp.up_proj"), "mlp.down_proj")
    hidden_states = rms(x, w[prefix + "norm.weight"])
    head = w[prefix + "embed_tokens.weight"] if config.get("tie_word_embeddings", gemma) else w["lm_head.weight"]
    logits = hidden_states @ head.T
    final_cap = config.get("final_logit_softcapping") if gemma else None
    if final_cap is not None:
        logits = torch.tanh(logits / final_cap) * final_cap
    log_probs = torch.log_softmax(logits, dim=-1)
    logprob = log_probs[:-1].gather(1, ids_t[1:, None]).squeeze(1)
    entropy = -(log_probs.exp() * log_probs).sum(-1)[:-1]
    return {"hidden": hidden_states.contiguous(), "logprob": logprob.contiguous(), "entropy": entropy.contiguous()}


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "make":
        with open(sys.argv[3]) as f:
            make(sys.argv[2], json.load(f))
    elif len(sys.argv) == 5 and sys.argv[1] == "run":
        with open(sys.argv[3]) as f:
            ids = json.load(f)
        save_file(run(sys.argv[2], ids), sys.argv[4])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
