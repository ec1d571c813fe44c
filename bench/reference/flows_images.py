"""PyTorch reference for genlab's image flows (RealNVP and Glow on MNIST / Fashion-MNIST).

The same architecture as src/models/flows/models.ts (buildRealNVP / buildGlow), written directly in
PyTorch, trained on what bench/flows_export.ts writes: genlab's initial weights (loaded by name),
its data (uint8 pixels), its data order (torch.randperm from the same per-epoch generator seeds), its
dequantization noise (torch.manual_seed(step seed) + rand_like, as genlab's trainer does before every
step) and its learning rates (cosine schedule). Prints one JSON line with the test bits/dim.

    npx tsx bench/flows_export.ts /tmp/gfi glow mnist 1500 64
    OPENBLAS_NUM_THREADS=1 python3 bench/reference/flows_images.py /tmp/gfi glow mnist [trained.safetensors]

With the export's clipGrad and ema settings it clips and averages as genlab's trainer does; the optional
last argument saves the trained weights (the EMA's when ema > 0) under genlab's names, which
bench/flows_score.ts loads into genlab's model to score with genlab's own bits/dim, Fréchet distance and pictures.
"""
import json
import math
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from op_profile import maybe_profile

LN2 = math.log(2)
LOG_2PI = math.log(2 * math.pi)


def save_safetensors(path, tensors):
    """Writes float32/int64 tensors as safetensors (genlab's loader reads them)."""
    names = {torch.float32: 'F32', torch.float64: 'F64', torch.int64: 'I64', torch.int32: 'I32', torch.uint8: 'U8'}
    header, blobs, off = {}, [], 0
    for k, t in tensors.items():
        b = t.detach().contiguous().cpu().numpy().tobytes()
        header[k] = {'dtype': names[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b); off += len(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path + '.tmp', 'wb') as f:
        f.write(struct.pack('<Q', len(h))); f.write(h)
        for b in blobs:
            f.write(b)
    import os
    os.replace(path + '.tmp', path)


class EMA:
    """genlab's EMA (src/optim/ema.ts): shadow = d shadow + (1 - d) param, d = min(decay, (1 + t) / (10 + t))."""

    def __init__(self, params, decay):
        self.params = list(params); self.decay = decay; self.step = 0
        self.shadow = [p.detach().clone() for p in self.params]

    @torch.no_grad()
    def update(self):
        d = min(self.decay, (1 + self.step) / (10 + self.step))
        for s, p in zip(self.shadow, self.params):
            s.mul_(d).add_(p, alpha=1 - d)
        self.step += 1

    @torch.no_grad()
    def swap(self):
        for s, p in zip(self.shadow, self.params):
            tmp = p.clone(); p.copy_(s); s.copy_(tmp)


def load_safetensors(path):
    with open(path, 'rb') as f:
        buf = f.read()
    (n,) = struct.unpack('<Q', buf[:8])
    header = json.loads(buf[8:8 + n])
    dtypes = {'F32': torch.float32, 'F64': torch.float64, 'I64': torch.int64, 'I32': torch.int32, 'U8': torch.uint8, 'BOOL': torch.bool}
    out = {}
    for k, v in header.items():
        if k == '__metadata__':
            continue
        a, b = v['data_offsets']
        raw = bytearray(buf[8 + n + a:8 + n + b])
        t = torch.frombuffer(raw, dtype=dtypes[v['dtype']]) if b > a else torch.empty(0, dtype=dtypes[v['dtype']])
        out[k] = t.reshape(v['shape']).clone()
    return out


class ConvNet(nn.Module):
    """conv3x3 -> relu -> conv1x1 -> relu -> conv3x3 (genlab's ConvNet; weights come from genlab)."""

    def __init__(self, cin, cout, hidden):
        super().__init__()
        self.w0 = nn.Parameter(torch.empty(hidden, cin, 3, 3)); self.b0 = nn.Parameter(torch.empty(hidden))
        self.w1 = nn.Parameter(torch.empty(hidden, hidden, 1, 1)); self.b1 = nn.Parameter(torch.empty(hidden))
        self.w2 = nn.Parameter(torch.zeros(cout, hidden, 3, 3)); self.b2 = nn.Parameter(torch.zeros(cout))

    def forward(self, x):
        h = F.relu(F.conv2d(x, self.w0, self.b0, 1, 1))
        h = F.relu(F.conv2d(h, self.w1, self.b1, 1, 0))
        return F.conv2d(h, self.w2, self.b2, 1, 1)


def checkerboard(c, h, w, parity):
    i = torch.arange(h).view(h, 1); j = torch.arange(w).view(1, w)
    return ((i + j + parity) % 2 == 0).float().expand(c, h, w).clone()


def channel_mask(c, h, w, parity):
    m = (torch.arange(c) < c // 2) != (parity == 1)
    return m.float().view(c, 1, 1).expand(c, h, w).clone()


class AffineCoupling(nn.Module):
    def __init__(self, mask, net, scale):
        super().__init__()
        self.scale = scale
        self.register_buffer('mask', mask)
        self.register_buffer('inv', 1 - mask)
        if scale == 'tanh':
            self.scaleFactor = nn.Parameter(torch.ones_like(mask))
        self.net = net

    def forward(self, x):
        t, r = self.net(x * self.mask).chunk(2, 1)
        s = torch.tanh(r) * self.scaleFactor if self.scale == 'tanh' else F.logsigmoid(r + 2)
        t = t * self.inv; s = s * self.inv
        return x * s.exp() + t, s.flatten(1).sum(1)


class AdditiveCoupling(nn.Module):
    def __init__(self, mask, net):
        super().__init__()
        self.register_buffer('mask', mask)
        self.register_buffer('inv', 1 - mask)
        self.net = net

    def forward(self, x):
        return x + self.net(x * self.mask) * self.inv, torch.zeros(x.shape[0])


class SplitPrior(nn.Module):
    """Glow's prior of a factored-out half: [mean, log-scale] = zero-init conv3x3(kept) * exp(3 logs)."""

    def __init__(self, kept, ch):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(2 * ch, kept, 3, 3)); self.bias = nn.Parameter(torch.zeros(2 * ch))
        self.logs = nn.Parameter(torch.zeros(2 * ch))

    def forward(self, out, kept):
        h = F.conv2d(kept, self.weight, self.bias, 1, 1) * (3 * self.logs).exp().view(1, -1, 1, 1)
        mean, logs = h.chunk(2, 1)
        return (out - mean) * (-logs).exp(), -logs.flatten(1).sum(1)


class TopPrior(nn.Module):
    """Learned per-channel Gaussian of the last level (unconditional)."""

    def __init__(self, ch):
        super().__init__()
        self.mean = nn.Parameter(torch.zeros(ch)); self.logScale = nn.Parameter(torch.zeros(ch))

    def forward(self, h):
        ls = self.logScale.view(1, -1, 1, 1)
        return (h - self.mean.view(1, -1, 1, 1)) * (-ls).exp(), -self.logScale.sum() * h.shape[2] * h.shape[3] * torch.ones(h.shape[0])


class ActNorm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.loc = nn.Parameter(torch.zeros(c)); self.logScale = nn.Parameter(torch.zeros(c))
        self.register_buffer('initFlag', torch.tensor(0))

    def forward(self, x):
        if self.initFlag.item() == 0:
            with torch.no_grad():
                self.loc.copy_(-x.mean((0, 2, 3)))
                self.logScale.copy_(-(x.std((0, 2, 3), unbiased=False) + 1e-6).log())
                self.initFlag.fill_(1)
        y = (x + self.loc.view(1, -1, 1, 1)) * self.logScale.view(1, -1, 1, 1).exp()
        return y, (self.logScale.sum() * x.shape[2] * x.shape[3]).expand(x.shape[0])


class InvConvLU(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.lower = nn.Parameter(torch.zeros(c, c)); self.upper = nn.Parameter(torch.zeros(c, c)); self.logS = nn.Parameter(torch.zeros(c))
        for name in ('perm', 'lowerMask', 'upperMask', 'eye'):
            self.register_buffer(name, torch.zeros(c, c))
        self.register_buffer('signS', torch.zeros(c))

    def forward(self, x):
        l = self.lower * self.lowerMask + self.eye
        u = self.upper * self.upperMask + torch.diag_embed(self.signS * self.logS.exp())
        w = self.perm @ l @ u
        c = w.shape[0]
        return F.conv2d(x, w.view(c, c, 1, 1)), (self.logS.sum() * x.shape[2] * x.shape[3]).expand(x.shape[0])


class Squeeze(nn.Module):
    def forward(self, x):
        return F.pixel_unshuffle(x, 2), torch.zeros(x.shape[0])


class ImageFlow(nn.Module):
    """LogitTransform(0.05) then MultiScale(levels); N(0, I) base. Layers named as genlab's state dict."""

    def __init__(self, model, cfg, shape):
        super().__init__()
        self.shape = shape
        C, H, W = shape
        self.levels = []
        c0, h0, w0 = C, H, W
        L = cfg.get('levels', 2); K = cfg['imageLayers']; hid = cfg['imageHidden']
        learned = model == 'glow' and cfg.get('priors', 'standard') == 'learned'
        assert not cfg.get('classConditional'), 'the reference has no class-conditional prior'
        for l in range(L):
            level = []
            c1, h1, w1 = c0 * 4, h0 // 2, w0 // 2
            if model == 'realnvp':
                for i in range(K):
                    level.append(AffineCoupling(checkerboard(c0, h0, w0, i % 2), ConvNet(c0, 2 * c0, hid), 'tanh'))
                level.append(Squeeze())
                for i in range(K):
                    level.append(AffineCoupling(channel_mask(c1, h1, w1, i % 2), ConvNet(c1, 2 * c1, hid), 'tanh'))
            else:
                level.append(Squeeze())
                for i in range(K):
                    coupling = (AdditiveCoupling(channel_mask(c1, h1, w1, 0), ConvNet(c1, c1, hid)) if cfg.get('coupling') == 'additive'
                                else AffineCoupling(channel_mask(c1, h1, w1, 0), ConvNet(c1, 2 * c1, hid), 'sigmoid'))
                    level += [ActNorm(c1), InvConvLU(c1), coupling]
            for j, b in enumerate(level):
                self.add_module(f'level{l}_{j}', b)
            last = l == L - 1
            prior = None
            if learned and not last:
                prior = SplitPrior(c1 - c1 // 2, c1 // 2)
                self.add_module(f'prior{l}', prior)
            self.levels.append((level, None if last else c1 // 2, prior))
            c0, h0, w0 = (c1 - c1 // 2, h1, w1) if not last else (c1, h1, w1)
        self.top = TopPrior(c0) if learned else None

    def log_prob(self, v):
        a = 0.05; c = (1 - 2 * a) / 256
        p = v * c + a
        h = p.log() - torch.log1p(-p)
        logdet = (-(p.log() + torch.log1p(-p)) + math.log(c)).flatten(1).sum(1)
        outs = []
        for level, factored, prior in self.levels:
            for b in level:
                h, ld = b(h)
                logdet = logdet + ld
            if factored is not None:
                out, h = h[:, :factored], h[:, factored:]
                if prior is not None:
                    out, ld = prior(out, h)
                    logdet = logdet + ld
                outs.append(out.flatten(1))
        if self.top is not None:
            h, ld = self.top(h)
            logdet = logdet + ld
        outs.append(h.flatten(1))
        z = torch.cat(outs, 1)
        D = z.shape[1]
        return -0.5 * z.square().sum(1) - 0.5 * D * LOG_2PI + logdet


def dequantize(x01):
    ints = (x01 * 255).round()
    # genlab caps k + u at the largest float below k + 1 (float32 rounds k + u up to k + 1 when u is near 1)
    return torch.minimum(ints + torch.rand_like(ints), (ints + 1) * (1 - 2 ** -24))


def bench(d, model, data, iters):
    """CPU ms per training step (Adam) on the first batch of the exported data; one JSON line."""
    meta, train, _, flow, opt = setup(d, model, data)
    D = int(np.prod(meta['shape']))
    x = train[:meta['train']['batch']]

    def step():
        bpd = -flow.log_prob(dequantize(x)).mean() / (D * LN2)
        opt.zero_grad()
        bpd.backward()
        opt.step()
    for _ in range(3):
        step()
    if maybe_profile(step):
        return
    c0 = time.process_time(); w0 = time.perf_counter()
    for _ in range(iters):
        step()
    print(json.dumps({'ms': (time.process_time() - c0) * 1000 / iters, 'wallMs': (time.perf_counter() - w0) * 1000 / iters, 'threads': torch.get_num_threads()}))


def setup(d, model, data):
    meta = json.load(open(f'{d}/{model}-{data}.json'))
    torch.set_num_threads(int(meta.get('threads', torch.get_num_threads())))
    shape = meta['shape']
    D = int(np.prod(shape))
    train = torch.from_numpy(np.fromfile(f'{d}/{data}-train.u8', dtype=np.uint8).reshape(-1, *shape)).float().div(255)
    test = torch.from_numpy(np.fromfile(f'{d}/{data}-test.u8', dtype=np.uint8).reshape(-1, *shape)).float().div(255)
    flow = ImageFlow(model, meta['modelConfig'], shape)
    sd = load_safetensors(f'{d}/{model}-{data}-init.safetensors')
    own = {f'1.{k}': v for k, v in flow.state_dict().items()}
    assert set(own) == set(sd), (sorted(set(own) ^ set(sd)))[:10]
    flow.load_state_dict({k[2:]: v.to(own[k].dtype).reshape(own[k].shape) for k, v in sd.items()})
    tc = meta['train']
    opt = torch.optim.Adam(flow.parameters(), lr=tc['lr'], betas=tuple(tc['betas']), eps=tc['eps'])
    return meta, train, test, flow, opt


def main():
    d, model, data = sys.argv[1], sys.argv[2], sys.argv[3]
    if len(sys.argv) > 5 and sys.argv[4] == '--bench':
        return bench(d, model, data, int(sys.argv[5]))
    meta, train, test, flow, opt = setup(d, model, data)
    tc = meta['train']
    D = int(np.prod(meta['shape']))
    B = tc['batch']; spe = meta['stepsPerEpoch']
    perm = None; perm_epoch = -1
    params = list(flow.parameters())
    clip = tc.get('clipGrad', 0)
    # genlab builds its EMA before the first step (before ActNorm's data-dependent init), so does this
    ema = EMA(params, tc['ema']) if tc.get('ema', 0) > 0 else None
    t0 = time.time(); c0 = time.process_time()
    log = []; window = []
    for s in range(tc['steps']):
        torch.manual_seed(meta['stepSeeds'][s])
        for g in opt.param_groups:
            g['lr'] = meta['lrs'][s]
        e = s // spe
        if e != perm_epoch:
            g = torch.Generator(); g.manual_seed(meta['dataSeeds'][e])
            perm = torch.randperm(train.shape[0], generator=g); perm_epoch = e
        idx = perm[(s % spe) * B:(s % spe + 1) * B]
        x = train.index_select(0, idx)
        bpd = -flow.log_prob(dequantize(x)).mean() / (D * LN2)
        opt.zero_grad()
        bpd.backward()
        # genlab's trainer: the global gradient norm, clipped when clipGrad > 0; a non-finite norm skips the step
        norm = torch.nn.utils.clip_grad_norm_(params, clip if clip > 0 else float('inf'))
        if math.isfinite(norm.item()):
            opt.step()
            if ema is not None:
                ema.update()
        window.append(bpd.item())
        if (s + 1) % 10 == 0:  # the mean over the last 10 steps, as genlab's metrics.jsonl
            log.append((s + 1, sum(window) / len(window))); window = []
            if (s + 1) % 100 == 0:
                print(f'step {s + 1} bpd {log[-1][1]:.4f} ({time.time() - t0:.0f} s)', file=sys.stderr, flush=True)
    wall = time.time() - t0; cpu = time.process_time() - c0
    if ema is not None:
        ema.swap()  # evaluate and save the averaged weights, as genlab's eval and sample do
    out = sys.argv[4] if len(sys.argv) > 4 else None
    if out:
        # genlab's names (the flow is module '1' of Flow after LogitTransform '0'), for bench/flows_score.ts
        init = load_safetensors(f'{d}/{model}-{data}-init.safetensors')  # genlab's dtypes (ActNorm's flag is float there)
        save_safetensors(out, {f'1.{k}': v.to(init[f'1.{k}'].dtype) for k, v in flow.state_dict().items()})
    torch.manual_seed(0)
    with torch.no_grad():
        nll = sum(-flow.log_prob(dequantize(test[i:i + 1000])).sum().item() for i in range(0, test.shape[0], 1000)) / test.shape[0]
    print(json.dumps({'model': model, 'data': data, 'steps': tc['steps'], 'batch': B, 'testNll': nll, 'bitsPerDim': nll / (D * LN2),
                      'trainSeconds': wall, 'cpuSeconds': cpu, 'ema': ema is not None, 'weights': out, 'threads': torch.get_num_threads(), 'log': log}))


if __name__ == '__main__':
    main()
