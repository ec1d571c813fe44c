"""PyTorch twin of a genlab image diffusion run (edm; rectified 1-RF, reflow and one-step distillation).

Trains genlab's UNet (diffusion_unet.py, the same state-dict names) on what bench/diffusion_export.ts
writes: genlab's initial weights, data (uint8 pixels and labels), data order (torch.randperm from the
same per-epoch generator seeds), per-step draws (torch.manual_seed(step seed), then the loss's
rand/randn/randint in genlab's order: label dropout, σ, noise for edm; noise, t for fm; pair indices
(and t) for reflow/distill), learning rates, Adam and EMA (decay_t = min(decay, (1 + t)/(10 + t))).
Writes <dir>/<name>-torch.safetensors (raw weights `model.*` and EMA weights `ema.*`, genlab's names),
and prints one JSON line (CPU seconds, the loss every logEvery steps). bench/diffusion_import.ts turns the
weights into a genlab run, so genlab's own samplers and `genlab eval` score them.

    npx tsx bench/diffusion_export.ts runs/edm-fmnist /tmp/dx
    OMP_NUM_THREADS=1 /usr/bin/python3 bench/reference/diffusion_train.py /tmp/dx edm-fmnist
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from diffusion_unet import UNet, load_safetensors  # noqa: E402


def save_safetensors(path, tensors):
    header, chunks, off = {}, [], 0
    for k, t in tensors.items():
        a = t.detach().contiguous().float().numpy().tobytes()
        header[k] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [off, off + len(a)]}
        chunks.append(a)
        off += len(a)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path + '.tmp', 'wb') as f:
        f.write(len(h).to_bytes(8, 'little'))
        f.write(h)
        for a in chunks:
            f.write(a)
    os.replace(path + '.tmp', path)


class Net(torch.nn.Module):
    """genlab's UNetDenoiserNet: F(x, c_noise × noiseScale, labels)."""

    def __init__(self, meta):
        super().__init__()
        c = meta['modelConfig']
        C, H = meta['shape'][0], meta['shape'][1]
        assert not c['attnResolutions'], 'the reference UNet has attention in the middle block only'
        self.unet = UNet(C, H, c['channels'], c['channelMult'], c['numResBlocks'], meta['numClasses'])
        self.scale = meta['noiseScale']

    def forward(self, x, c_noise, labels):
        return self.unet(x, c_noise * self.scale, labels)


def coefficients(pre, sigma, meta, sd=0.5):
    """c_skip, c_out, c_in, c_noise of genlab's preconditionings (preconditioning.ts)."""
    if pre == 'edm':
        v = sigma ** 2 + sd ** 2
        return sd ** 2 / v, sigma * sd / v.sqrt(), v.rsqrt(), sigma.log() / 4
    if pre == 'flow':
        inv = 1 / (sigma + 1)
        return inv, -sigma * inv, inv, sigma * inv * (meta['noiseSteps'] - 1)
    raise ValueError(pre)


def denoise(net, pre, x, sigma, labels, meta):
    cs, co, ci, cn = coefficients(pre, sigma, meta)
    r = lambda v: v.view(-1, 1, 1, 1)
    return r(cs) * x + r(co) * net(x * r(ci), cn, labels)


def main():
    d, name = sys.argv[1], sys.argv[2]
    meta = json.load(open(f'{d}/{name}.json'))
    torch.set_num_threads(1)
    c, tc = meta['modelConfig'], meta['train']
    shape = meta['shape']
    set_ = meta['data']
    train = torch.from_numpy(np.fromfile(f'{d}/{set_}-train.u8', dtype=np.uint8).reshape(-1, *shape)).float().div(255)
    lo, hi = meta['range']
    train = train * (hi - lo) + lo
    labels_all = torch.from_numpy(np.fromfile(f'{d}/{set_}-train-labels.u8', dtype=np.uint8).astype(np.int64)) if meta['numClasses'] else None
    net = Net(meta)
    sd = load_safetensors(f'{d}/{name}-init.safetensors')
    net.load_state_dict(sd, strict=True)
    net.train()
    params = list(net.parameters())
    opt = torch.optim.Adam(params, lr=tc['lr'], betas=tuple(tc['betas']), eps=tc['eps'], weight_decay=tc['weightDecay'])
    assert tc['optimizer'] == 'adam' and tc['clipGrad'] == 0, 'the reference runs Adam without clipping'
    ema = [p.detach().clone() for p in params] if tc['ema'] > 0 else None
    pre, stage = c['preconditioning'], c.get('stage', '')
    nc = meta['numClasses']
    pairs = load_safetensors(f'{d}/{name}-pairs.safetensors') if stage else None
    to_model = lambda x: (x - lo) * (2 / (hi - lo)) - 1

    def loss_of(x, y):
        if stage:
            idx = torch.randint(0, pairs['x'].shape[0], (x.shape[0],))
            x0, z = pairs['x'].index_select(0, idx), pairs['z'].index_select(0, idx)
            if stage == 'reflow':
                t = torch.rand(x0.shape[0])
                tt = t.view(-1, 1, 1, 1)
                F_ = net((1 - tt) * x0 + tt * z, t * (meta['noiseSteps'] - 1), None)
                return ((F_ - (z - x0)) ** 2).mean()
            s = torch.full((x0.shape[0],), float(meta['sigmaMax']))
            return ((denoise(net, pre, z * meta['sigmaMax'], s, None, meta) - x0) ** 2).mean()
        labels = None
        if nc:
            labels = y.masked_fill(torch.rand(y.shape[0]) < c['pUncond'], nc)
        x0 = to_model(x)
        if c['loss'] == 'edm':
            sigma = (torch.randn(x0.shape[0]) * 1.2 - 1.2).exp()
            w = (sigma ** 2 + 0.25) / (sigma * 0.5) ** 2
            n = torch.randn_like(x0) * sigma.view(-1, 1, 1, 1)
            D = denoise(net, pre, x0 + n, sigma, labels, meta)
            return ((D - x0) ** 2 * w.view(-1, 1, 1, 1)).mean()
        if c['loss'] == 'fm':
            assert c['timeSampling'] == 'uniform'
            eps = torch.randn_like(x0)
            t = torch.rand(x0.shape[0])
            tt = t.view(-1, 1, 1, 1)
            F_ = net((1 - tt) * x0 + tt * eps, t * (meta['noiseSteps'] - 1), labels)
            return ((F_ - (eps - x0)) ** 2).mean()
        raise ValueError(c['loss'])

    B, spe = tc['batch'], meta['stepsPerEpoch']
    perm, perm_epoch = None, -1
    log, window = [], []
    t0, c0 = time.time(), time.process_time()
    for s in range(tc['steps']):
        for g in opt.param_groups:
            g['lr'] = meta['lrs'][s]
        e = s // spe
        if e != perm_epoch:
            gen = torch.Generator()
            gen.manual_seed(meta['dataSeeds'][e])
            perm, perm_epoch = torch.randperm(train.shape[0], generator=gen), e
        idx = perm[(s % spe) * B:(s % spe + 1) * B]
        torch.manual_seed(meta['stepSeeds'][s])
        loss = loss_of(train.index_select(0, idx), labels_all.index_select(0, idx) if labels_all is not None else None)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if ema is not None:
            dec = min(tc['ema'], (1 + s) / (10 + s))
            with torch.no_grad():
                for e_, p in zip(ema, params):
                    e_.mul_(dec).add_(p, alpha=1 - dec)
        window.append(loss.item())
        if (s + 1) % tc['logEvery'] == 0:  # the mean over the window, as genlab's metrics.jsonl
            log.append((s + 1, sum(window) / len(window)))
            window = []
            if (s + 1) % 100 == 0:
                print(f'step {s + 1} loss {log[-1][1]:.4f} ({time.time() - t0:.0f} s wall, {time.process_time() - c0:.0f} s CPU)', file=sys.stderr, flush=True)
    cpu, wall = time.process_time() - c0, time.time() - t0
    names = [k for k, _ in net.named_parameters()]
    out = {f'model.{k}': v for k, v in net.state_dict().items()}
    if ema is not None:
        out.update({f'ema.{k}': v for k, v in zip(names, ema)})
    save_safetensors(f'{d}/{name}-torch.safetensors', out)
    print(json.dumps({'name': name, 'steps': tc['steps'], 'batch': B, 'cpuSeconds': cpu, 'wallSeconds': wall,
                      'cpuMsPerStep': cpu * 1000 / tc['steps'], 'threads': torch.get_num_threads(), 'log': log}))


if __name__ == '__main__':
    main()
