"""PyTorch side of bench/diffusion.ts: genlab's diffusion UNet (src/nn/unet.ts, wrapped by
src/models/diffusion/nets.ts) rebuilt with the same state-dict names, loaded from genlab's initial
weights, trained with the EDM loss (Karras et al. 2022) on the same batch, noise levels and noise.

  python3 diffusion_unet.py DIR --check          # prints the loss and denoiser output of genlab's inputs
  python3 diffusion_unet.py DIR --bench N        # CPU ms per training step and per sampling (denoiser) step
PyTorch runs in its default NCHW layout, 1 intra-op thread.
"""
import json
import os
import math
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from op_profile import maybe_profile

torch.set_num_threads(1)


def load_safetensors(path):
    with open(path, 'rb') as f:
        buf = f.read()
    (n,) = struct.unpack('<Q', buf[:8])
    header = json.loads(buf[8:8 + n])
    dtypes = {'F32': torch.float32, 'F64': torch.float64, 'I64': torch.int64}
    out = {}
    for k, v in header.items():
        if k == '__metadata__':
            continue
        a, b = v['data_offsets']
        raw = bytearray(buf[8 + n + a:8 + n + b])
        out[k] = torch.frombuffer(raw, dtype=dtypes[v['dtype']]).reshape(v['shape']).clone()
    return out


def groups_for(ch, max_groups=32):
    for g in range(min(max_groups, ch // 2), 1, -1):
        if ch % g == 0:
            return g
    return 1


class ResBlock(nn.Module):
    def __init__(self, cin, cout, emb_dim):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups_for(cin), cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb_proj = nn.Linear(emb_dim, cout)
        self.norm2 = nn.GroupNorm(groups_for(cout), cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Identity() if cin == cout else nn.Conv2d(cin, cout, 1)

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb_proj(F.silu(emb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class AttentionBlock(nn.Module):
    def __init__(self, ch, heads):
        super().__init__()
        self.norm = nn.GroupNorm(groups_for(ch), ch)
        self.attn = nn.MultiheadAttention(ch, heads, batch_first=True)

    def forward(self, x):
        B, C, H, W = x.shape
        h = self.norm(x).view(B, C, H * W).transpose(1, 2)
        a, _ = self.attn(h, h, h, need_weights=False)
        return x + a.transpose(1, 2).reshape(B, C, H, W)


class Layer(nn.Module):
    def __init__(self, cin, cout, emb_dim, heads):
        super().__init__()
        self.res = ResBlock(cin, cout, emb_dim)
        self.attn = AttentionBlock(cout, heads) if heads else None

    def forward(self, x, emb):
        h = self.res(x, emb)
        return self.attn(h) if self.attn is not None else h


class Down(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Up(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2, mode='nearest'))


class UNet(nn.Module):
    def __init__(self, cin, size, ch0, mult, nres, num_classes, heads=4):
        super().__init__()
        emb_dim = 4 * ch0
        half = ch0 // 2
        self.register_buffer('freqs', torch.exp(torch.arange(half, dtype=torch.float32) * (-math.log(10000) / half)), persistent=False)
        self.emb_mlp = nn.Sequential(nn.Linear(ch0, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.class_embed = nn.Embedding(num_classes + 1, emb_dim) if num_classes else None
        self.input_conv = nn.Conv2d(cin, ch0, 3, padding=1)
        hd = lambda c: next(h for h in range(min(heads, c), 0, -1) if c % h == 0)
        self.down = nn.ModuleList()
        skips = [ch0]
        ch = ch0
        for l, m in enumerate(mult):
            out = ch0 * m
            for _ in range(nres):
                self.down.append(Layer(ch, out, emb_dim, None))
                ch = out
                skips.append(ch)
            if l < len(mult) - 1:
                self.down.append(Down(ch))
                skips.append(ch)
        self.mid = nn.ModuleList([Layer(ch, ch, emb_dim, hd(ch)), Layer(ch, ch, emb_dim, None)])
        self.up = nn.ModuleList()
        for l in reversed(range(len(mult))):
            out = ch0 * mult[l]
            for _ in range(nres + 1):
                self.up.append(Layer(ch + skips.pop(), out, emb_dim, None))
                ch = out
            if l > 0:
                self.up.append(Up(ch))
        self.out_norm = nn.GroupNorm(groups_for(ch), ch)
        self.out_conv = nn.Conv2d(ch, cin, 3, padding=1)

    def forward(self, x, t, labels):
        args = t.float()[:, None] * self.freqs[None]
        emb = self.emb_mlp(torch.cat([args.cos(), args.sin()], 1))
        if self.class_embed is not None:
            emb = emb + self.class_embed(labels)
        h = self.input_conv(x)
        hs = [h]
        for m in self.down:
            h = m(h) if isinstance(m, Down) else m(h, emb)
            hs.append(h)
        for m in self.mid:
            h = m(h, emb)
        for m in self.up:
            h = m(h) if isinstance(m, Up) else m(torch.cat([h, hs.pop()], 1), emb)
        return self.out_conv(F.silu(self.out_norm(h)))


class EDMDenoiser(nn.Module):
    """D(x, σ) = c_skip x + c_out F(c_in x, c_noise), EDM preconditioning, σ_data = 0.5; c_noise scaled by 250 (nets.ts)."""

    def __init__(self, unet, sigma_data=0.5, noise_scale=250.0):
        super().__init__()
        self.unet = unet
        self.sd = sigma_data
        self.scale = noise_scale

    def forward(self, x, sigma, labels):
        s = sigma.view(-1, 1, 1, 1)
        v = s ** 2 + self.sd ** 2
        c_skip, c_out, c_in = self.sd ** 2 / v, s * self.sd / v.sqrt(), 1 / v.sqrt()
        F_ = self.unet(x * c_in, sigma.log() / 4 * self.scale, labels)
        return c_skip * x + c_out * F_


def edm_loss(D, x0, sigma, noise, labels, sd=0.5):
    w = (sigma ** 2 + sd ** 2) / (sigma * sd) ** 2
    out = D(x0 + noise * sigma.view(-1, 1, 1, 1), sigma, labels)
    return ((out - x0) ** 2 * w.view(-1, 1, 1, 1)).mean()


def main():
    d = sys.argv[1]
    meta = json.load(open(f'{d}/meta.json'))
    unet = UNet(1, 28, meta['channels'], meta['channelMult'], meta['numResBlocks'], meta['numClasses'])
    D = EDMDenoiser(unet)
    sd = load_safetensors(f'{d}/init.safetensors')
    missing, unexpected = D.load_state_dict(sd, strict=True), None
    b = load_safetensors(f'{d}/batch.safetensors')
    x0, sigma, noise, labels = b['x0'], b['sigma'], b['noise'], b['labels']
    if sys.argv[2] == '--check':
        with torch.no_grad():
            loss = edm_loss(D, x0, sigma, noise, labels).item()
            den = D(x0 + noise, torch.full((x0.shape[0],), 1.0), labels)
        print(json.dumps({'loss': loss, 'denoisedSum': den.double().sum().item(), 'denoisedAbs': den.double().abs().sum().item()}))
        return
    iters = int(sys.argv[3])
    opt = torch.optim.Adam(D.parameters(), lr=1e-3)

    def train_step():
        opt.zero_grad(set_to_none=True)
        edm_loss(D, x0, sigma, noise, labels).backward()
        opt.step()

    xs = x0 + noise * 2.0
    s2 = torch.full((x0.shape[0],), 2.0)

    def sample_step():
        with torch.no_grad():
            D(xs, s2, labels)

    out = {}
    for name, fn in (('train', train_step), ('sample', sample_step)):
        for _ in range(2):
            fn()
        if os.environ.get('GENLAB_OP_PROFILE_WHAT') == name and maybe_profile(fn):
            return
        t0 = time.process_time()
        w0 = time.perf_counter()
        for _ in range(iters):
            fn()
        out[name] = (time.process_time() - t0) * 1e3 / iters
        out[name + 'Wall'] = (time.perf_counter() - w0) * 1e3 / iters
    print(json.dumps(out))


if __name__ == '__main__':
    main()
