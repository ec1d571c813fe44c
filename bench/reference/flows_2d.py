"""PyTorch reference for genlab's 2D flows (src/models/flows): the same RealNVP and NSF
configurations (family defaults), trained on the same data (float32 files written by
src/models/flows/compare2d.ts) with the same steps, batch size and Adam learning rate.
Prints one JSON line per run: test NLL in nats and training seconds.

    python3 bench/reference/flows_2d.py /tmp/genlab-flows2d 3000
"""
import json, math, os, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(int(os.environ.get("THREADS", "1")))


def mlp(d_in, d_out, hidden=64, depth=2):
    layers, prev = [], d_in
    for _ in range(depth):
        layers += [nn.Linear(prev, hidden), nn.ReLU()]
        prev = hidden
    last = nn.Linear(prev, d_out)
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    return nn.Sequential(*layers, last)


def alternating_mask(d, parity):
    return torch.tensor([1.0 if (i + parity) % 2 == 0 else 0.0 for i in range(d)])


def half_mask(d, parity):
    h = d // 2
    return torch.tensor([1.0 if ((i < h) != (parity == 1)) else 0.0 for i in range(d)])


class AffineCoupling(nn.Module):
    """s = tanh(r) * scale_factor (RealNVP), masked; y = x * exp(s) + t."""

    def __init__(self, mask, net):
        super().__init__()
        self.register_buffer("mask", mask)
        self.net = net
        self.scale_factor = nn.Parameter(torch.ones_like(mask))

    def forward(self, x):
        inv = 1 - self.mask
        t, r = self.net(x * self.mask).chunk(2, 1)
        s = torch.tanh(r) * self.scale_factor * inv
        return x * torch.exp(s) + t * inv, s.sum(1)


def knots(raw, min_bin, bound):
    k = raw.shape[-1]
    w = min_bin + (1 - min_bin * k) * F.softmax(raw, -1)
    cum = torch.cumsum(w, -1) * 2 * bound - bound
    cum = torch.cat([torch.full_like(cum[..., :1], -bound), cum[..., : k - 1], torch.full_like(cum[..., :1], bound)], -1)
    return cum, cum[..., 1:] - cum[..., :-1]


def rq_spline(x, uw, uh, ud, bound, min_w=1e-3, min_h=1e-3, min_d=1e-3):
    """Forward RQ spline with identity tails (Durkan et al. 2019), as in nflows."""
    inside = (x >= -bound) & (x <= bound)
    xc = x.clamp(-bound, bound).unsqueeze(-1)
    cw, bw = knots(uw, min_w, bound)
    ch, bh = knots(uh, min_h, bound)
    c = math.log(math.expm1(1 - min_d))
    pad = torch.full_like(ud[..., :1], c)
    d = F.softplus(torch.cat([pad, ud, pad], -1)) + min_d
    K = bw.shape[-1]
    idx = (xc >= cw[..., :K]).sum(-1, keepdim=True).sub(1).clamp(0, K - 1)
    g = lambda t: t.gather(-1, idx)
    icw, ibw, ich, ih = g(cw[..., :K]), g(bw), g(ch[..., :K]), g(bh)
    delta = g(bh / bw)
    d0, d1 = g(d[..., :K]), g(d[..., 1:])
    theta = (xc - icw) / ibw
    t1mt = theta * (1 - theta)
    num = ih * (delta * theta ** 2 + d0 * t1mt)
    den = delta + (d0 + d1 - 2 * delta) * t1mt
    out = ich + num / den
    dnum = delta ** 2 * (d1 * theta ** 2 + 2 * delta * t1mt + d0 * (1 - theta) ** 2)
    ld = torch.log(dnum) - 2 * torch.log(den)
    out, ld = out.squeeze(-1), ld.squeeze(-1)
    return torch.where(inside, out, x), torch.where(inside, ld, torch.zeros_like(ld))


class SplineCoupling(nn.Module):
    def __init__(self, mask, net, bins=8, bound=4.0):
        super().__init__()
        self.register_buffer("mask", mask)
        self.net, self.bins, self.bound = net, bins, bound

    def forward(self, x):
        K, P = self.bins, 3 * self.bins - 1
        inv = 1 - self.mask
        p = self.net(x * self.mask).reshape(x.shape[0], x.shape[1], P)
        out, ld = rq_spline(x, p[..., :K], p[..., K : 2 * K], p[..., 2 * K :], self.bound)
        return x * self.mask + out * inv, (ld * inv).sum(1)


class Reverse(nn.Module):
    def forward(self, x):
        return x.flip(1), torch.zeros(x.shape[0])


class Flow(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def log_prob(self, x):
        ld = torch.zeros(x.shape[0])
        for l in self.layers:
            x, d = l(x)
            ld = ld + d
        return -0.5 * (x ** 2).sum(1) - x.shape[1] * 0.5 * math.log(2 * math.pi) + ld


def realnvp(D=2, layers=6):
    return Flow([AffineCoupling(alternating_mask(D, i % 2), mlp(D, 2 * D)) for i in range(layers)])


def nsf(D=2, layers=4, bins=8, bound=4.0):
    ls = []
    for i in range(layers):
        ls.append(SplineCoupling(half_mask(D, 0), mlp(D, D * (3 * bins - 1)), bins, bound))
        if i + 1 < layers:
            ls.append(Reverse())
    return Flow(ls)


def load(path):
    return torch.from_numpy(np.fromfile(path, dtype=np.float32).reshape(-1, 2).copy())


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "/tmp/genlab-flows2d"
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    models = os.environ.get("MODELS", "realnvp,nsf").split(",")
    sets = os.environ.get("SETS", "moons,8gaussians,checkerboard").split(",")
    results = []
    for name in sets:
        train, test = load(f"{root}/{name}_train.f32"), load(f"{root}/{name}_test.f32")
        for m in models:
            torch.manual_seed(0)
            flow = realnvp() if m == "realnvp" else nsf()
            opt = torch.optim.Adam(flow.parameters(), lr=1e-3)
            g = torch.Generator().manual_seed(0)
            t0 = time.time()
            for _ in range(steps):
                idx = torch.randint(0, train.shape[0], (256,), generator=g)
                loss = -flow.log_prob(train[idx]).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
            secs = time.time() - t0
            with torch.no_grad():
                nll = -flow.log_prob(test).mean().item()
            r = {"impl": "pytorch", "model": m, "data": name, "steps": steps, "testNll": round(nll, 4), "seconds": round(secs, 1)}
            results.append(r)
            print(json.dumps(r), flush=True)
    with open(f"{root}/pytorch.json", "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
