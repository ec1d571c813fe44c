#!/usr/bin/env python3
"""PyTorch reference for genlab's nn/optim parity tests (test/nn/parity.test.ts, test/optim/*).

Usage: nn_parity.py DIR. DIR/task.json says what to run; tensors come in and go out as raw file
safetensors files (PREFIX.safetensors, float32/int64) written by test/nn/helpers.ts with genlab's
saveSafetensors. Results go to DIR/result.json (+ DIR/out.safetensors).

Tasks:
  train  - the same MLP / conv net, weights and batches as genlab; N Adam steps; per-step losses.
  optim  - SGD/Adam/AdamW from given parameters and a given gradient sequence; parameters after each step.
  layers - forward passes of single layers with genlab's weights (MultiheadAttention, convs, norms).
"""
import json
import struct
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
DTYPES = {"float32": np.float32, "int64": np.int64}


SAFETENSORS_DTYPES = {"F32": (np.float32, torch.float32), "I64": (np.int64, torch.int64)}


def load_raw(prefix):
    """Reads PREFIX.safetensors (8-byte little-endian header size, JSON header, data) by hand:
    Debian's python3-torch has no safetensors package."""
    with open(prefix + ".safetensors", "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        npd, _ = SAFETENSORS_DTYPES[e["dtype"]]
        start, end = e["data_offsets"]
        arr = np.frombuffer(buf[base + start:base + end], dtype=np.dtype(npd).newbyteorder("<")).reshape(e["shape"])
        out[name] = torch.from_numpy(arr.astype(npd).copy())
    return out


def save_raw(prefix, tensors):
    """Writes PREFIX.safetensors (float32 / int64), readable by genlab's loadSafetensors."""
    header, parts, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        is_int = t.dtype == torch.int64
        b = t.to(torch.int64 if is_int else torch.float32).numpy().astype(np.dtype(np.int64 if is_int else np.float32).newbyteorder("<")).tobytes()
        header[name] = {"dtype": "I64" if is_int else "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        parts.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(prefix + ".safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(parts))


def sub(d, prefix):
    return {k[len(prefix) + 1:]: v for k, v in d.items() if k.startswith(prefix + ".")}


# ---- models, with genlab's parameter names ----

class MLP(nn.Module):
    """genlab's nn.MLP({ sizes, activation: 'silu' }): children net.0, net.1, ..."""

    def __init__(self, sizes):
        super().__init__()
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i + 2 < len(sizes):
                layers.append(nn.SiLU())
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def conv_net(channels, classes):
    """genlab's Sequential(Conv2d(1, c, 3, padding 1), ReLU, MaxPool2d(2), Flatten, Linear(c*14*14, classes))."""
    return nn.Sequential(nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(channels * 14 * 14, classes))


def build(spec):
    if spec["arch"] == "mlp":
        return MLP(spec["sizes"])
    if spec["arch"] == "conv":
        return conv_net(spec["channels"], spec["classes"])
    raise ValueError(spec["arch"])


def task_train(d, task):
    weights = load_raw(os.path.join(d, "weights"))
    data = load_raw(os.path.join(d, "data"))
    result, finals = {}, {}
    for spec in task["models"]:
        name = spec["name"]
        model = build(spec)
        model.load_state_dict(sub(weights, name), strict=True)
        opt = torch.optim.Adam(model.parameters(), lr=spec["lr"])
        xs, ys = data[name + ".x"], data[name + ".y"]
        losses = []
        for step in range(spec["steps"]):
            opt.zero_grad(set_to_none=True)
            out = model(xs[step])
            loss = F.mse_loss(out, ys[step]) if spec["loss"] == "mse" else F.cross_entropy(out, ys[step])
            loss.backward()
            opt.step()
            losses.append(loss.item())
        result[name] = losses
        for k, v in model.state_dict().items():
            finals[name + "." + k] = v
    save_raw(os.path.join(d, "out"), finals)
    return result


def make_optimizer(kind, params, kwargs):
    cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[kind]
    return cls(params, **kwargs)


def task_optim(d, task):
    inp = load_raw(os.path.join(d, "optim_in"))
    n = task["numParams"]
    out = {}
    for cfg in task["configs"]:
        params = [inp["p%d" % i].clone().requires_grad_(True) for i in range(n)]
        opt = make_optimizer(cfg["kind"], params, cfg["kwargs"])
        for step in range(task["steps"]):
            for i, p in enumerate(params):
                p.grad = inp["g%d_%d" % (step, i)].clone()
            opt.step()
            for i, p in enumerate(params):
                out["%s.%d.%d" % (cfg["name"], step, i)] = p.detach().clone()
    save_raw(os.path.join(d, "out"), out)
    return {"ok": True}


def task_layers(d, task):
    inp = load_raw(os.path.join(d, "layers_in"))
    out = {}
    for spec in task["layers"]:
        name, kind, cfg = spec["name"], spec["kind"], spec.get("config", {})
        w = sub(inp, name + ".w")
        x = inp[name + ".x"]
        if kind == "mha":
            m = nn.MultiheadAttention(cfg["embedDim"], cfg["numHeads"], batch_first=True)
            m.load_state_dict(w)
            kpm = inp.get(name + ".kpm")
            y, _ = m(x, x, x, key_padding_mask=kpm.bool() if kpm is not None else None, need_weights=False)
        elif kind == "conv2d":
            m = nn.Conv2d(cfg["in"], cfg["out"], cfg["k"], stride=cfg["stride"], padding=cfg["padding"], groups=cfg.get("groups", 1))
            m.load_state_dict(w)
            y = m(x)
        elif kind == "convT2d":
            m = nn.ConvTranspose2d(cfg["in"], cfg["out"], cfg["k"], stride=cfg["stride"], padding=cfg["padding"], output_padding=cfg["outputPadding"])
            m.load_state_dict(w)
            y = m(x)
        elif kind == "groupnorm":
            m = nn.GroupNorm(cfg["groups"], cfg["channels"])
            m.load_state_dict(w)
            y = m(x)
        elif kind == "layernorm":
            m = nn.LayerNorm(cfg["shape"])
            m.load_state_dict(w)
            y = m(x)
        elif kind == "batchnorm":
            m = nn.BatchNorm2d(cfg["channels"], momentum=cfg["momentum"])
            m.load_state_dict(w)
            m.train()
            y = m(x)
            y = m(x * 0.5 + 1)  # second batch: the running stats move twice
            m.eval()
            out[name + ".eval"] = m(x).detach()
            out[name + ".running_mean"] = m.running_mean
            out[name + ".running_var"] = m.running_var
        else:
            raise ValueError(kind)
        out[name + ".y"] = y.detach()
    save_raw(os.path.join(d, "out"), out)
    return {"ok": True}


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "task.json")) as f:
        task = json.load(f)
    fn = {"train": task_train, "optim": task_optim, "layers": task_layers}[task["task"]]
    result = fn(d, task)
    result["torch"] = torch.__version__
    with open(os.path.join(d, "result.json"), "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
