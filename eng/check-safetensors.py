#!/usr/bin/env python3
"""Checks .safetensors files with Python's reference `safetensors` library.

    python3 eng/check-safetensors.py FILE...          human-readable summary of each file
    python3 eng/check-safetensors.py --json FILE      names, dtypes, shapes, values and metadata as JSON
    python3 eng/check-safetensors.py --write FILE     writes a small reference file with the Python library

Needs python3, numpy and safetensors (Debian 13: apt-get install python3-numpy python3-safetensors).
numpy has no bfloat16, so BF16 values are decoded here from the raw bytes; their names, shapes
and offsets are still validated by the library when it opens the file.
"""
import json
import struct
import sys

try:
    import numpy as np
    from safetensors import safe_open
    from safetensors.numpy import save_file
except ImportError as error:
    sys.stderr.write(f"error: {error}; install numpy and safetensors (Debian: apt-get install python3-numpy python3-safetensors)\n")
    sys.exit(3)


def raw_bf16(path, name):
    """BF16 values of tensor `name` as float32, decoded from the file's bytes."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        begin, end = header[name]["data_offsets"]
        f.seek(8 + length + begin)
        halves = np.frombuffer(f.read(end - begin), dtype="<u2")
    return (halves.astype(np.uint32) << 16).view(np.float32)


def describe(path):
    """Everything the library reports about the file, values flattened to lists."""
    tensors = {}
    with safe_open(path, framework="numpy") as f:
        metadata = f.metadata() or {}
        for name in f.keys():
            piece = f.get_slice(name)
            dtype, shape = piece.get_dtype(), list(piece.get_shape())
            values = raw_bf16(path, name) if dtype == "BF16" else f.get_tensor(name)
            if list(values.shape) not in (shape, [int(np.prod(shape, dtype=np.int64))]):
                raise SystemExit(f"error: {name}: library shape {shape} but array shape {list(values.shape)}")
            tensors[name] = {"dtype": dtype, "shape": shape, "values": values.reshape(-1).tolist()}
    return {"metadata": metadata, "tensors": tensors}


def write_reference(path):
    tensors = {
        "f32": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
        "f64": np.array([1.0 / 3.0, -2.5], dtype=np.float64),
        "f16": np.array([0.5, -1.5, 65504.0], dtype=np.float16),
        "i64": np.array([[-3], [1 << 40]], dtype=np.int64),
        "i32": np.array([7, -8, 9], dtype=np.int32),
        "u8": np.array([0, 255], dtype=np.uint8),
        "flags": np.array([True, False, True], dtype=np.bool_),
        "scalar": np.array(2.25, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32),
    }
    save_file(tensors, path, metadata={"source": "python", "note": "caf\u00e9"})


def main(argv):
    if len(argv) == 2 and argv[0] == "--json":
        json.dump(describe(argv[1]), sys.stdout)
        return 0
    if len(argv) == 2 and argv[0] == "--write":
        write_reference(argv[1])
        return 0
    if not argv or argv[0].startswith("-"):
        sys.stderr.write(__doc__)
        return 2
    for path in argv:
        info = describe(path)
        print(f"{path}: {len(info['tensors'])} tensors, metadata keys {sorted(info['metadata'])}")
        for name, t in info["tensors"].items():
            values = np.asarray(t["values"], dtype=np.float64)
            stats = f"mean {values.mean():.6g} min {values.min():.6g} max {values.max():.6g}" if values.size else "empty"
            print(f"  {name}: {t['dtype']} {t['shape']} {stats}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
