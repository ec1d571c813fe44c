#!/usr/bin/env python3
"""PyTorch side of test/nn/module-fields.test.ts: the same module tree written with PyTorch's
attribute habits; prints its state-dict keys, loads genlab's weights with load_state_dict(strict=True)
and writes the forward pass on genlab's input. Usage: module_fields.py DIR."""
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nn_parity import load_raw, save_raw  # noqa: E402

torch.set_num_threads(1)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.scale = nn.Parameter(torch.ones(4))
        self.register_buffer("mean", torch.zeros(4))
        self.register_buffer("tmp", torch.zeros(1), persistent=False)

    def forward(self, x):
        return self.fc(x - self.mean) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(3, 4)
        self.blocks = nn.ModuleList([Block(), Block()])
        self.heads = nn.ModuleList([nn.Linear(4, 2)])
        self.gains = nn.ParameterList([nn.Parameter(torch.ones(2)), nn.Parameter(torch.full((2,), 2.0))])
        self.bias = nn.Parameter(torch.zeros(2))

    def forward(self, x):
        h = self.embed(x)
        for b in self.blocks:
            h = torch.tanh(b(h))
        return self.heads[0](h) * self.gains[0] * self.gains[1] + self.bias


def main():
    d = sys.argv[1]
    net = Net()
    sd = load_raw(os.path.join(d, "weights"))
    net.load_state_dict(sd, strict=True)
    x = load_raw(os.path.join(d, "input"))["x"]
    with torch.no_grad():
        y = net(x)
    save_raw(os.path.join(d, "out"), {"y": y})
    with open(os.path.join(d, "result.json"), "w") as f:
        json.dump({"keys": list(net.state_dict().keys())}, f)


if __name__ == "__main__":
    main()
