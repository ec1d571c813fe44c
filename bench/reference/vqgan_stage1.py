"""PyTorch reference for bench/vqgan.ts: one VQGAN stage-1 training step (the vqgan family's math):
encoder -> EMA quantizer -> decoder (bench/reference/latent.py's modules), L1 + optional perceptual
(two convs of a 1->32->64 grey net, unit-normalized features, per colour channel) + codebook terms +
adaptive-λ hinge PatchGAN term, then the discriminator's hinge step: two Adam optimizers. Random
weights and batch (a timing reference, not a parity check). Prints one JSON line; 1 intra-op thread."""
import json, os, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from latent import VQEncoder, VQDecoder, Quantizer  # noqa: E402

torch.set_num_threads(1)
args = dict(a.split('=') for a in sys.argv[1:])
iters = int(args.get('iters', 5))
perc_w = float(args.get('perceptual', 1))
B = int(args.get('B', 32))
c = dict(hidden=64, resHidden=32, resBlocks=2, codebookSize=128, codeDim=16, beta=0.25, decay=0.99, deadCodeThreshold=2)

def patchgan(cin, ch=32, n=2):
    mods = [nn.Conv2d(cin, ch, 4, 2, 1), nn.LeakyReLU(0.2)]
    prev = ch
    for i in range(1, n):
        o = ch * min(2 ** i, 8)
        mods += [nn.Conv2d(prev, o, 4, 2, 1, bias=False), nn.BatchNorm2d(o), nn.LeakyReLU(0.2)]
        prev = o
    o = ch * min(2 ** n, 8)
    mods += [nn.Conv2d(prev, o, 4, 1, 1, bias=False), nn.BatchNorm2d(o), nn.LeakyReLU(0.2), nn.Conv2d(o, 1, 4, 1, 1)]
    return nn.Sequential(*mods)

torch.manual_seed(0)
enc, q, dec, D = VQEncoder(3, 16, c), Quantizer(c), VQDecoder(16, 3, c), patchgan(3)
pconv1, pconv2 = nn.Conv2d(1, 32, 3, padding=1), nn.Conv2d(32, 64, 3, padding=1)
for p in list(pconv1.parameters()) + list(pconv2.parameters()):
    p.requires_grad_(False)
def feats(x):
    h1 = F.relu(pconv1(x)); return [h1, F.relu(pconv2(F.max_pool2d(h1, 2)))]
def perceptual(x, y):
    n, ch, h, w = x.shape
    fx, fy = feats(x.reshape(n * ch, 1, h, w)), feats(y.reshape(n * ch, 1, h, w))
    d = 0
    for a, b in zip(fx, fy):
        d = d + ((F.normalize(a, dim=1, eps=1e-10) - F.normalize(b, dim=1, eps=1e-10)) ** 2).sum(1).mean((1, 2)).reshape(n, ch).mean(1)
    return d
gparams = list(enc.parameters()) + list(dec.parameters())
og = torch.optim.Adam(gparams, lr=1e-4, betas=(0.5, 0.9))
od = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.5, 0.9))
x = torch.rand(B, 3, 32, 32)
last = dec.up[2].weight

def step():
    quant, vq_loss, _, _ = q(enc(x))
    xr = dec(quant)
    rec = (xr - x).abs().mean()
    if perc_w > 0:
        rec = rec + perc_w * perceptual(x, xr).mean()
    g_adv = -D(xr * 2 - 1).mean()
    gr = torch.autograd.grad(rec, last, retain_graph=True)[0]
    gg = torch.autograd.grad(g_adv, last, retain_graph=True)[0]
    lam = (gr.norm() / (gg.norm() + 1e-4)).clamp(0, 1e4).detach() * 0.8
    loss = rec + vq_loss + lam * g_adv
    og.zero_grad(); od.zero_grad(); loss.backward(); og.step()
    real, fake = D(x * 2 - 1), D((xr * 2 - 1).detach())
    d_loss = 0.5 * (F.relu(1 - real).mean() + F.relu(1 + fake).mean())
    og.zero_grad(); od.zero_grad(); d_loss.backward(); od.step()

step()
t0 = time.perf_counter()
for _ in range(iters):
    step()
print(json.dumps({'step_ms': (time.perf_counter() - t0) / iters * 1000}))
