#!/usr/bin/env python3
"""PyTorch side of test/tensor/format.test.ts: prints each tensor of DIR/tensors.safetensors with
repr() (PyTorch's default print options) into DIR/printed.json. DIR/cases.json may ask for autograd
state per name: "leaf" (requires_grad=True) or "mul2" (a leaf times itself, so grad_fn=<MulBackward0>)."""
import json
import os
import struct
import sys

import numpy as np
import torch

DTYPES = {
    "F64": (np.float64, torch.float64), "F32": (np.float32, torch.float32), "F16": (np.float16, torch.float16),
    "I64": (np.int64, torch.int64), "I32": (np.int32, torch.int32), "I16": (np.int16, torch.int16),
    "I8": (np.int8, torch.int8), "U8": (np.uint8, torch.uint8), "BOOL": (np.bool_, torch.bool),
}


def load(path):
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        np_t, t_t = DTYPES[e["dtype"]]
        a, b = e["data_offsets"]
        arr = np.frombuffer(buf[8 + n + a:8 + n + b], dtype=np.dtype(np_t).newbyteorder("<")).reshape(e["shape"])
        out[name] = torch.from_numpy(arr.copy()).to(t_t)
    return out


def main():
    d = sys.argv[1]
    tensors = load(os.path.join(d, "tensors.safetensors"))
    cases = json.load(open(os.path.join(d, "cases.json")))
    printed = {}
    for name, t in tensors.items():
        grad = cases.get(name)
        if grad == "leaf":
            t.requires_grad_(True)
        elif grad == "mul2":
            t = t.requires_grad_(True)
            t = t * t
        printed[name] = repr(t)
    with open(os.path.join(d, "printed.json"), "w") as f:
        json.dump(printed, f)


if __name__ == "__main__":
    main()
