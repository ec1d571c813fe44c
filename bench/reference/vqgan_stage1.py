"""PyTorch reference for the vqgan family, stage 1 (src/models/vq/vqgan.ts), two modes.

Timing (bench/vqgan.ts): one training step of random weights and a random batch, the vqgan math and
sizes: encoder -> EMA quantizer -> decoder (bench/reference/latent.py's modules), L1 + optional
perceptual (two convs of a 1->32->64 grey net, unit-normalized features, per colour channel) +
codebook terms + adaptive-λ hinge PatchGAN term, then the discriminator's hinge step: two Adam
optimizers. Prints one JSON line; 1 intra-op thread.

    python3 bench/reference/vqgan_stage1.py iters=5 perceptual=1 B=32

Trained twin: the same run as `genlab train vqgan` from what bench/latent_export.ts writes —
genlab's initial weights by name (discriminator and BatchNorm buffers included), its data order
(per-epoch torch.randperm from the same generator seeds), its per-step noise (torch.manual_seed(step
seed) before each step: the quantizer's k-means start and dead-code restarts draw in the same
order), its learning rates and discStart; the perceptual net is genlab's classifier
(src/metrics/weights/fmnist-classifier.safetensors). Writes the reconstructions of the test set
(float32 [N, C, H, W], clamped to [0, 1], as genlab's decodeIndices) for genlab's Fréchet distance
(scripts/vqgan-eval.ts) and prints one JSON line (test L1/MSE, codes used, CPU seconds).

    npx tsx bench/latent_export.ts /tmp/vqt full vqgan fashion-mnist 1200 64 0 lr=0.001,discStart=600
    OMP_NUM_THREADS=1 /usr/bin/python3 bench/reference/vqgan_stage1.py train /tmp/vqt full [--log-every N]
"""
import json, os, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from latent import VQEncoder, VQDecoder, Quantizer, VQVAE, load_u8  # noqa: E402
from flows_images import load_safetensors  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CLASSIFIER = os.path.join(HERE, '..', '..', 'src', 'metrics', 'weights', 'fmnist-classifier.safetensors')


def patchgan(cin, ch=32, n=2, norm='batch'):
    """src/models/vq/discriminator.ts: its Sequential, index for index."""
    bn = (lambda c: nn.BatchNorm2d(c)) if norm == 'batch' else (lambda c: nn.GroupNorm(min(32, c), c)) if norm == 'group' else (lambda c: nn.Identity())
    bias = norm == 'none'
    mods = [nn.Conv2d(cin, ch, 4, 2, 1), nn.LeakyReLU(0.2)]
    prev = ch
    for i in range(1, n):
        o = ch * min(2 ** i, 8)
        mods += [nn.Conv2d(prev, o, 4, 2, 1, bias=bias), bn(o), nn.LeakyReLU(0.2)]
        prev = o
    o = ch * min(2 ** n, 8)
    mods += [nn.Conv2d(prev, o, 4, 1, 1, bias=bias), bn(o), nn.LeakyReLU(0.2), nn.Conv2d(o, 1, 4, 1, 1)]
    return nn.Sequential(*mods)


class Discriminator(nn.Module):
    def __init__(self, cin, c):
        super().__init__()
        self.net = patchgan(cin, c['discChannels'], c['discLayers'], c['discNorm'])

    def forward(self, x):
        return self.net(x)


class Perceptual:
    """FeaturePerceptualLoss (uniform weights): unit-normalized conv1 [and conv2] ReLU maps of genlab's classifier."""

    def __init__(self, layers):
        sd = load_safetensors(CLASSIFIER)
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3, padding=1), nn.Conv2d(32, 64, 3, padding=1)
        with torch.no_grad():
            for n, conv in (('conv1', self.conv1), ('conv2', self.conv2)):
                conv.weight.copy_(sd[f'{n}.weight']); conv.bias.copy_(sd[f'{n}.bias'])
                conv.weight.requires_grad_(False); conv.bias.requires_grad_(False)
        self.layers = layers

    def feats(self, x):
        h1 = F.relu(self.conv1(x))
        return [h1] if self.layers == 1 else [h1, F.relu(self.conv2(F.max_pool2d(h1, 2)))]

    def distance(self, x, y):
        n, ch, h, w = x.shape
        fx, fy = self.feats(x.reshape(n * ch, 1, h, w)), self.feats(y.reshape(n * ch, 1, h, w))
        d = 0
        for a, b in zip(fx, fy):
            d = d + ((F.normalize(a, dim=1, eps=1e-10) - F.normalize(b, dim=1, eps=1e-10)) ** 2).sum(1).mean((1, 2)).reshape(n, ch).mean(1)
        return d


class VQGAN(VQVAE):
    """latent.py's VQ-VAE (encoder, EMA quantizer, decoder, recon) plus the PatchGAN and the perceptual net."""

    def __init__(self, c, shape):
        super().__init__(c, shape)
        self.discriminator = Discriminator(shape[0], c)
        self.perceptual = Perceptual(c.get('perceptualLayers', 2)) if c['perceptualWeight'] > 0 else None
        if c['ganLoss'] != 'hinge' or c['cosine'] or not c['ema'] or not c['kmeansInit']:
            raise SystemExit('vqgan_stage1.py: the twin covers hinge loss and the EMA/k-means/Euclidean quantizer (the vqgan defaults)')


def twin(d, name, log_every=None):
    meta = json.load(open(os.path.join(d, f'{name}.json')))
    log_every = log_every or meta['train']['logEvery']
    c, shape, tc = meta['modelConfig'], meta['shape'], meta['train']
    if meta['model'] != 'vqgan':
        raise SystemExit(f"vqgan_stage1.py: {name} is a '{meta['model']}' export (latent.py trains vqvae)")
    m = VQGAN(c, shape)
    sd = load_safetensors(os.path.join(d, f'{name}-init.safetensors'))
    missing, unexpected = m.load_state_dict(sd, strict=False)
    if missing or unexpected:
        raise SystemExit(f'vqgan_stage1.py: state dict mismatch: missing {missing}, unexpected {unexpected}')
    train = load_u8(os.path.join(d, f"{meta['data']}-train.u8"), shape)
    test = load_u8(os.path.join(d, f"{meta['data']}-test.u8"), shape)
    gparams = [p for mod in (m.encoder, m.quantizer, m.decoder) for p in mod.parameters() if p.requires_grad]
    betas = tuple(tc['betas'])
    og = torch.optim.Adam(gparams, lr=tc['lr'], betas=betas, eps=tc['eps'])
    od = torch.optim.Adam(m.discriminator.parameters(), lr=tc['lr'] * c['discLrScale'], betas=betas, eps=tc['eps'])
    last = m.decoder.up[2].weight
    B, spe, steps = tc['batch'], meta['stepsPerEpoch'], tc['steps']
    m.train()
    perm, perm_epoch = None, -1
    t0, c0 = time.time(), time.process_time()
    log = []
    for s in range(steps):
        epoch = s // spe
        if epoch != perm_epoch:
            g = torch.Generator().manual_seed(meta['dataSeeds'][epoch])
            perm = torch.randperm(train.shape[0], generator=g)
            perm_epoch = epoch
        i = s % spe
        x = train[perm[i * B:(i + 1) * B]]
        torch.manual_seed(meta['stepSeeds'][s])
        lr = meta['lrs'][s]
        for grp in og.param_groups:
            grp['lr'] = lr
        for grp in od.param_groups:
            grp['lr'] = lr * c['discLrScale']
        # generator group
        q, vq_loss, _, _ = m.quantizer(m.encoder(x))
        xr = m.decoder(q)
        l1 = (xr - x).abs().mean()
        rec = l1 + c['perceptualWeight'] * m.perceptual.distance(x, xr).mean() if m.perceptual else l1
        loss = rec + vq_loss
        on = s >= c['discStart']
        rec_item, dw = l1.item(), 0.0
        if on:
            g_adv = -m.discriminator(xr * 2 - 1).mean()
            if c['adaptive']:
                gr = torch.autograd.grad(rec, last, retain_graph=True)[0]
                gg = torch.autograd.grad(g_adv, last, retain_graph=True)[0]
                lam = (gr.norm() / (gg.norm() + 1e-4)).clamp(0, c['dWeightMax']).detach()
            else:
                lam = torch.tensor(1.0)
            dweight = lam * c['discWeight']
            dw = dweight.item()
            loss = loss + g_adv * dweight
        og.zero_grad(set_to_none=True); od.zero_grad(set_to_none=True)
        loss.backward()
        og.step()
        # discriminator group
        d_loss = None
        if on:
            real = m.discriminator((x * 2 - 1).detach())
            fake = m.discriminator((xr * 2 - 1).detach())
            d_loss = 0.5 * (F.relu(1 - real).mean() + F.relu(1 + fake).mean())
            og.zero_grad(set_to_none=True); od.zero_grad(set_to_none=True)
            d_loss.backward()
            od.step()
        og.zero_grad(set_to_none=True); od.zero_grad(set_to_none=True)
        if (s + 1) % log_every == 0 or s + 1 == steps:
            log.append({'step': s + 1, 'loss': loss.item(), 'recon': rec_item, 'd_weight': dw, 'd.loss': d_loss.item() if d_loss is not None else None})
        if (s + 1) % 100 == 0:
            print(f'step {s + 1}/{steps} loss {loss.item():.4f} L1 {rec_item:.4f} ({(s + 1) / (time.time() - t0):.2f} it/s)', file=sys.stderr, flush=True)
    cpu = time.process_time() - c0
    m.eval()
    with torch.no_grad():
        parts, counts = [], torch.zeros(c['codebookSize'])
        for i in range(0, test.shape[0], 500):
            r, idx = m.recon(test[i:i + 500])
            parts.append(r)
            counts += torch.bincount(idx, minlength=c['codebookSize']).float()
        rec = torch.cat(parts)
    out_path = os.path.join(d, f'{name}-recon.f32')
    rec.contiguous().numpy().astype('float32').tofile(out_path)
    json.dump(log, open(os.path.join(d, f'{name}-pytorch-log.json'), 'w'))
    print(json.dumps({'name': name, 'steps': steps, 'testL1': (rec - test).abs().mean().item(), 'testMse': ((rec - test) ** 2).mean().item(),
                      'codesUsed': int((counts > 0).sum().item()), 'trainCpuSeconds': cpu, 'recon': out_path}))


if len(sys.argv) > 1 and sys.argv[1] == 'train':
    torch.set_num_threads(int(os.environ.get('TORCH_THREADS', '1')))
    twin(sys.argv[2], sys.argv[3], int(sys.argv[sys.argv.index('--log-every') + 1]) if '--log-every' in sys.argv else None)
    sys.exit(0)

torch.set_num_threads(1)
args = dict(a.split('=') for a in sys.argv[1:])
iters = int(args.get('iters', 5))
perc_w = float(args.get('perceptual', 1))
B = int(args.get('B', 32))
c = dict(hidden=64, resHidden=32, resBlocks=2, codebookSize=128, codeDim=16, beta=0.25, decay=0.99, deadCodeThreshold=2)

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
