#!/usr/bin/env python3
"""Window attention as a PyTorch user would write it, timed for a side-by-side with ours.

Each block of queries attends to the keys its band reaches, with a boolean band mask (query i
sees key j when |i - j| <= half), through torch's scaled_dot_product_attention ("sdpa") or the
plain matmul, masked softmax, matmul ("matmul-softmax"). Masks are built once per
block shape, so the timing is SDPA's, not mask construction's. Shapes match the window suite:
batch 1, H heads, head dim D, fp32, random q/k/v.

Prints one JSON object per line:
  {"kind": "check", ...}  blocked SDPA against a dense masked float64 reference (small n)
  {"kind": "matmul", ...} same-process matmul GFLOP/s (the roof)
  {"kind": "window", ...} seconds and useful GFLOP/s per (implementation, window, n, block)
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def best_seconds(run, repeats, device):
    run()
    sync(device)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        sync(device)
        best = min(best, time.perf_counter() - start)
    return best


def band_mask(q_start, q_end, k_start, k_end, half, device):
    rows = torch.arange(q_start, q_end, device=device)[:, None]
    cols = torch.arange(k_start, k_end, device=device)[None, :]
    return (cols - rows).abs() <= half


def sdpa(q, k, v, mask):
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


def matmul_softmax(q, k, v, mask):
    scores = (q @ k.transpose(-1, -2)).mul_(q.shape[-1] ** -0.5).masked_fill_(~mask, float("-inf"))
    return torch.softmax(scores, -1) @ v


IMPLEMENTATIONS = {"sdpa": sdpa, "matmul-softmax": matmul_softmax}


def window_attention(q, k, v, half, block, masks, attend=sdpa):
    n = q.shape[-2]
    out = torch.empty_like(q)
    for start in range(0, n, block):
        end = min(start + block, n)
        k_start, k_end = max(0, start - half), min(n, end + half)
        # Interior blocks share one mask; edge blocks get their own, cached by offset.
        key = (start - k_start, end - start, k_end - k_start)
        mask = masks.get(key)
        if mask is None:
            mask = band_mask(start, end, k_start, k_end, half, q.device)
            masks[key] = mask
        out[..., start:end, :] = attend(q[..., start:end, :], k[..., k_start:k_end, :], v[..., k_start:k_end, :], mask)
    return out


def useful_flops(n, window, heads, dim):
    half = window // 2
    pairs = n * (window + 1) - half * (half + 1)
    return 4.0 * heads * dim * pairs


def check(device, heads, dim):
    n, half, block = 1 << 12, 128, 256
    gen = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(1, heads, n, dim, generator=gen).to(device) for _ in range(3))
    results = {name: window_attention(q, k, v, half, block, {}, attend) for name, attend in IMPLEMENTATIONS.items()}
    q64, k64, v64 = (t.double().cpu() for t in (q, k, v))
    scores = q64 @ k64.transpose(-1, -2) / dim ** 0.5
    idx = torch.arange(n)
    scores = scores.masked_fill((idx[None, :] - idx[:, None]).abs() > half, float("-inf"))
    reference = torch.softmax(scores, -1) @ v64
    return {name: float((out.double().cpu() - reference).abs().max()) for name, out in results.items()}


def matmul_gflops(device):
    size = 8192 if device.type == "cuda" else 2048
    a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
    seconds = best_seconds(lambda: a @ b, 5, device)
    return 2.0 * size ** 3 / seconds / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log2", type=int, nargs=2, default=[16, 20], metavar=("MIN", "MAX"))
    parser.add_argument("--step", type=int, default=2, help="log2 n goes from MIN to MAX in these steps")
    parser.add_argument("--windows", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--blocks", type=int, nargs="+", default=[256],
                        help="query block sizes to time; every one is reported")
    parser.add_argument("--impls", nargs="+", default=["sdpa"], choices=sorted(IMPLEMENTATIONS),
                        help="sdpa: torch's scaled_dot_product_attention; matmul-softmax: q kT, masked softmax, times v")
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="intra-op threads (0: leave torch's default)")
    parser.add_argument("--repeats", type=int, default=0, help="0: 3 below 2^19, 1 from 2^19")
    args = parser.parse_args()

    device = torch.device(args.device)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(json.dumps({"kind": "env", "torch": torch.__version__, "device": str(device),
                      "threads": torch.get_num_threads(),
                      "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None}), flush=True)
    print(json.dumps({"kind": "check", "n": 1 << 12, "window": 256,
                      "max_abs_diff_vs_dense_float64": check(device, args.heads, args.dim)}), flush=True)
    print(json.dumps({"kind": "matmul", "gflops": matmul_gflops(device)}), flush=True)
    for window in args.windows:
        for log2 in range(args.log2[0], args.log2[1] + 1, args.step):
            n = 1 << log2
            q, k, v = (torch.randn(1, args.heads, n, args.dim, device=device) for _ in range(3))
            repeats = args.repeats or (1 if log2 >= 19 else 3)
            for impl, block in ((impl, block) for impl in args.impls for block in args.blocks):
                masks = {}
                attend = IMPLEMENTATIONS[impl]
                seconds = best_seconds(lambda: window_attention(q, k, v, window // 2, block, masks, attend), repeats, device)
                print(json.dumps({"kind": "window", "impl": impl, "window": window, "n": n, "block": block, "seconds": seconds,
                                  "gflops": useful_flops(n, window, args.heads, args.dim) / seconds / 1e9}), flush=True)
            del q, k, v


if __name__ == "__main__":
    main()
