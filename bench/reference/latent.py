"""PyTorch reference for genlab's latent-variable families (vae, iwae, gumbel-vae, vqvae, vqvae-prior).

The same architectures as src/models/vae and src/models/vq, written directly in PyTorch, trained on
what bench/latent_export.ts writes: genlab's initial weights (loaded by name), its data, its data
order (torch.randperm from the same per-epoch generator seeds), its per-step noise (torch.manual_seed
(step seed), then the same draws in the same order) and its learning rates. Evaluates as genlab's
`evaluate` does (same seeds, same batching) and prints one JSON line.

    npx tsx bench/latent_export.ts /tmp/glat vae-bmnist vae binarized-mnist 5000 128
    OPENBLAS_NUM_THREADS=1 python3 bench/reference/latent.py /tmp/glat vae-bmnist [--bench N] [--recon out.f32 (vqvae)]

The VQ-VAE + prior pair: train the vqvae twin with --save <file.pt>, export the genlab vqvae-prior run's
config (its `vqvae=` run is genlab's), then train the prior twin over the codes of this script's own VQ-VAE:

    python3 bench/reference/latent.py /tmp/glat vq --save /tmp/glat/vq.pt
    npx tsx bench/latent_export.ts /tmp/glat vqp vqvae-prior fashion-mnist 1000 64 0 vqvae=runs/vq
    python3 bench/reference/latent.py /tmp/glat vqp --vq /tmp/glat/vq.pt --samples 1000
    npx tsx bench/latent_fd.ts runs/vqp /tmp/glat/vqp-samples.f32   # FD with genlab's classifier features
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from flows_images import load_safetensors  # noqa: E402
from op_profile import maybe_profile  # noqa: E402

LOG_2PI = math.log(2 * math.pi)


# ---------------------------------------------------------------- likelihoods (src/models/vae/likelihoods.ts)

def per_example(t):
    return t.reshape(t.shape[0], -1).sum(1)


def log_prob(lik, params, x):
    if lik == 'bernoulli':
        return per_example(-F.binary_cross_entropy_with_logits(params, x, reduction='none'))
    c = params.shape[1] // 2
    mu, log_s = params[:, :c], params[:, c:].clamp_min(-7)
    if lik == 'gaussian':
        z = (x - mu) * torch.exp(-log_s)
        return per_example(-0.5 * z * z - log_s - 0.5 * LOG_2PI)
    xs = x * 2 - 1
    inv_s = torch.exp(-log_s)
    centered = xs - mu
    plus_in = (centered + 1 / 255) * inv_s
    min_in = (centered - 1 / 255) * inv_s
    cdf_delta = torch.sigmoid(plus_in) - torch.sigmoid(min_in)
    log_cdf_plus = plus_in - F.softplus(plus_in)
    log_one_minus_cdf_min = -F.softplus(min_in)
    mid_in = centered * inv_s
    log_pdf_mid = mid_in - log_s - 2 * F.softplus(mid_in)
    log_mid = torch.where(cdf_delta > 1e-5, cdf_delta.clamp_min(1e-12).log(), log_pdf_mid - math.log(127.5))
    lp = torch.where(xs < -0.999, log_cdf_plus, torch.where(xs > 0.999, log_one_minus_cdf_min, log_mid))
    return per_example(lp)


def params_per_channel(lik):
    return 1 if lik == 'bernoulli' else 2


# ---------------------------------------------------------------- nets (src/models/vae/nets.ts)

def mlp_encoder(d_in, out, hidden):
    layers = [nn.Flatten()]
    d = d_in
    for h in hidden:
        layers += [nn.Linear(d, h), nn.ReLU()]
        d = h
    layers.append(nn.Linear(d, out))
    return nn.ModuleDict({'net': nn.Sequential(*layers)})


class MLPDecoder(nn.Module):
    def __init__(self, d_in, out_shape, hidden):
        super().__init__()
        layers = []
        d = d_in
        for h in hidden:
            layers += [nn.Linear(d, h), nn.ReLU()]
            d = h
        layers.append(nn.Linear(d, math.prod(out_shape)))
        self.net = nn.Sequential(*layers)
        self.out_shape = out_shape

    def forward(self, z):
        return self.net(z).reshape(z.shape[0], *self.out_shape)


class MLPEncoder(nn.Module):
    def __init__(self, d_in, out, hidden):
        super().__init__()
        self.net = mlp_encoder(d_in, out, hidden)['net']

    def forward(self, x):
        return self.net(x)


class ConvEncoder(nn.Module):
    def __init__(self, shape, out, ch):
        super().__init__()
        c, h, w = shape
        self.convs = nn.Sequential(nn.Conv2d(c, ch, 4, 2, 1), nn.ReLU(), nn.Conv2d(ch, 2 * ch, 4, 2, 1), nn.ReLU(), nn.Flatten())
        self.head = nn.Linear(2 * ch * (h // 4) * (w // 4), out)

    def forward(self, x):
        return self.head(self.convs(x))


class ConvDecoder(nn.Module):
    def __init__(self, d_in, out_shape, ch):
        super().__init__()
        c, h, w = out_shape
        self.grid = (2 * ch, h // 4, w // 4)
        self.fc = nn.Linear(d_in, math.prod(self.grid))
        self.deconvs = nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(2 * ch, ch, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(ch, c, 4, 2, 1))

    def forward(self, z):
        return self.deconvs(self.fc(z).reshape(z.shape[0], *self.grid))


# ---------------------------------------------------------------- Gaussian VAE / IWAE (src/models/vae/vae.ts)

class GaussianVAE(nn.Module):
    def __init__(self, c, shape):
        super().__init__()
        C, H, W = shape
        out_shape = (params_per_channel(c['likelihood']) * C, H, W)
        if c['net'] == 'mlp':
            self.encoder = MLPEncoder(C * H * W, 2 * c['latent'], [c['hidden'], c['hidden']])
            self.decoder = MLPDecoder(c['latent'], out_shape, [c['hidden'], c['hidden']])
        else:
            self.encoder = ConvEncoder(shape, 2 * c['latent'], c['channels'])
            self.decoder = ConvDecoder(c['latent'], out_shape, c['channels'])
        self.c = c
        self.L = c['latent']

    def posterior(self, x):
        h = self.encoder(x)
        mu, logvar = h[:, :self.L], h[:, self.L:].clamp(-12, 12)
        return mu, torch.exp(0.5 * logvar)

    def elbo(self, x):
        mu, s = self.posterior(x)
        z = mu + torch.randn(mu.shape) * s
        recon = -log_prob(self.c['likelihood'], self.decoder(z), x)
        v = s * s
        kl = 0.5 * (v + mu * mu - 1 - v.log()).sum(-1)
        return recon, kl

    def iwae(self, x, k, chunk=None):
        mu, s = self.posterior(x)
        n = x.shape[0]
        chunk = max(1, min(k, chunk or k))
        parts = []
        done = 0
        while done < k:
            m = min(chunk, k - done)
            eps = torch.randn(m, n, self.L)
            z = mu + eps * s
            xs = x.unsqueeze(0).expand(m, *x.shape).reshape(m * n, *x.shape[1:])
            log_px = log_prob(self.c['likelihood'], self.decoder(z.reshape(m * n, self.L)), xs).reshape(m, n)
            # square(), not z * z: a tensor used twice in one product adds two gradient terms in another
            # order than genlab's square, and the runs drift apart by rounding (1000 steps: 0.5 nats)
            log_pz = (-0.5 * z.square()).sum(-1) - 0.5 * LOG_2PI * self.L
            zq = (z - mu) / s
            log_qz = (-0.5 * zq.square() - s.log() - 0.5 * LOG_2PI).sum(-1)
            parts.append(log_px + log_pz - log_qz)
            done += m
        log_w = torch.cat(parts, 0)
        return torch.logsumexp(log_w, 0) - math.log(k)

    def loss(self, x, step, meta):
        if self.c['k'] == 1:
            recon, kl = self.elbo(x)
            return recon.mean() + self.c['beta'] * kl.mean()
        return -self.iwae(x, self.c['k']).mean()

    @torch.no_grad()
    def evaluate(self, test):
        torch.manual_seed(0)
        recon = kl = 0.0
        for i in range(0, test.shape[0], 500):
            r, k = self.elbo(test[i:i + 500])
            recon += r.sum().item()
            kl += k.sum().item()
        n = test.shape[0]
        m = min(self.c['evalExamples'], n) if self.c['evalExamples'] > 0 else n
        conv = self.c['net'] == 'conv'
        batch, chunk = (20, 100) if conv else (50, 200)
        vals = []
        for i in range(0, m, batch):
            vals += (-self.iwae(test[i:min(i + batch, m)], self.c['evalK'], chunk)).tolist()
        mean = sum(vals) / len(vals)
        sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / max(1, len(vals) - 1))
        return {'negElbo': (recon + kl) / n, 'recon': recon / n, 'kl': kl / n, 'isNll': mean, 'isNllSE': sd / math.sqrt(len(vals)), 'isK': self.c['evalK']}


# ---------------------------------------------------------------- categorical VAE (src/models/vae/categorical-vae.ts)

def gumbel_noise(shape):
    u = torch.rand(shape).clamp(1e-7, 1 - 1e-7)
    return -torch.log(-torch.log(u))


class CategoricalVAE(nn.Module):
    def __init__(self, c, shape):
        super().__init__()
        C, H, W = shape
        self.G, self.K = c['groups'], c['classes']
        self.encoder = MLPEncoder(C * H * W, self.G * self.K, c['hidden'])
        self.decoder = MLPDecoder(self.G * self.K, (params_per_channel(c['likelihood']) * C, H, W), list(reversed(c['hidden'])))
        self.c = c

    def logits(self, x):
        return self.encoder(x).reshape(x.shape[0], self.G, self.K).log_softmax(-1)

    def kl(self, logits):
        return (logits.exp() * logits).sum((1, 2)) + self.G * math.log(self.K)

    def decode_lp(self, z, x):
        return log_prob(self.c['likelihood'], self.decoder(z.reshape(z.shape[0], -1)), x)

    def loss(self, x, step, meta):
        tau = meta['temperatures'][step]
        logits = self.logits(x)
        kl = self.kl(logits)
        est = self.c['estimator']
        if est in ('gumbel', 'st-gumbel'):
            l2 = logits.log_softmax(-1)
            y = ((l2 + gumbel_noise(l2.shape)) / tau).softmax(-1)
            if est == 'st-gumbel':
                hard = F.one_hot(y.argmax(-1), self.K).to(y.dtype)
                y = hard - y.detach() + y
            recon = -self.decode_lp(y, x)
            return (recon + kl).mean()
        l2 = logits.log_softmax(-1)
        with torch.no_grad():
            idx = (l2 + gumbel_noise(l2.shape)).argmax(-1)
        z = F.one_hot(idx, self.K).to(logits.dtype)
        recon = -self.decode_lp(z, x)
        f = recon.detach()
        n = f.shape[0]
        b = (f.sum() - f) / (n - 1)
        logq = l2.gather(-1, idx.unsqueeze(-1)).squeeze(-1).sum(1)
        surrogate = (f - b) * logq
        return (recon + kl + surrogate - surrogate.detach()).mean()

    @torch.no_grad()
    def evaluate(self, test):
        torch.manual_seed(0)
        vals = []
        recon = kl = 0.0
        for i in range(0, test.shape[0], 500):
            x = test[i:i + 500]
            logits = self.logits(x)
            l2 = logits.log_softmax(-1)
            idx = (l2 + gumbel_noise(l2.shape)).argmax(-1)
            r = -self.decode_lp(F.one_hot(idx, self.K).float(), x)
            k = self.kl(logits)
            vals += (r + k).tolist()
            recon += r.sum().item()
            kl += k.sum().item()
        n = len(vals)
        mean = sum(vals) / n
        sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / max(1, n - 1))
        return {'negElbo': mean, 'negElboSE': sd / math.sqrt(n), 'recon': recon / n, 'kl': kl / n}


# ---------------------------------------------------------------- VQ-VAE (src/models/vq)

class ResidualBlock(nn.Module):
    def __init__(self, ch, hidden):
        super().__init__()
        self.conv1 = nn.Conv2d(ch, hidden, 3, 1, 1)
        self.conv2 = nn.Conv2d(hidden, ch, 1)

    def forward(self, x):
        return x + self.conv2(F.relu(self.conv1(F.relu(x))))


class ResidualStack(nn.Module):
    def __init__(self, ch, hidden, n):
        super().__init__()
        self.blocks = nn.ModuleList([ResidualBlock(ch, hidden) for _ in range(n)])

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        return F.relu(x)


class VQEncoder(nn.Module):
    def __init__(self, cin, d, c):
        super().__init__()
        h = c['hidden']
        self.down = nn.Sequential(nn.Conv2d(cin, h // 2, 4, 2, 1), nn.ReLU(), nn.Conv2d(h // 2, h, 4, 2, 1), nn.ReLU(), nn.Conv2d(h, h, 3, 1, 1))
        self.res = ResidualStack(h, c['resHidden'], c['resBlocks'])
        self.proj = nn.Conv2d(h, d, 1)

    def forward(self, x):
        return self.proj(self.res(self.down(x)))


class VQDecoder(nn.Module):
    def __init__(self, d, cout, c):
        super().__init__()
        h = c['hidden']
        self.inp = nn.Conv2d(d, h, 3, 1, 1)
        self.res = ResidualStack(h, c['resHidden'], c['resBlocks'])
        self.up = nn.Sequential(nn.ConvTranspose2d(h, h // 2, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(h // 2, cout, 4, 2, 1))

    def forward(self, z):
        return self.up(self.res(self.inp(z)))


class Quantizer(nn.Module):
    """EMA mode, Euclidean lookup, k-means init, dead-code restart: the options the vqvae family defaults to."""

    def __init__(self, c):
        super().__init__()
        K, D = c['codebookSize'], c['codeDim']
        self.K, self.D = K, D
        self.beta, self.decay, self.eps, self.thr = c['beta'], c['decay'], 1e-5, c['deadCodeThreshold']
        self.register_buffer('codebook', torch.zeros(K, D))
        self.register_buffer('cluster_size', torch.ones(K))
        self.register_buffer('embed_sum', torch.zeros(K, D))
        self.register_buffer('initialized', torch.tensor(0.0))

    def nearest(self, flat):
        e = self.codebook
        d = (e * e).sum(1).unsqueeze(0) - 2 * flat @ e.t()
        return d.argmin(1)

    @torch.no_grad()
    def kmeans(self, flat):
        K, N = self.K, flat.shape[0]
        start = torch.randperm(N)[:K] if N >= K else torch.randint(0, N, (K,))
        means = flat[start]
        counts = torch.zeros(K)
        for _ in range(10):
            d = (means * means).sum(1).unsqueeze(0) - 2 * flat @ means.t()
            a = d.argmin(1)
            counts = torch.bincount(a, minlength=K).to(flat.dtype)
            sums = torch.zeros(K, self.D).index_add_(0, a, flat)
            nxt = sums / counts.clamp_min(1).unsqueeze(1)
            means = torch.where((counts == 0).unsqueeze(1), means, nxt)
        self.codebook.copy_(means)
        self.cluster_size.copy_(counts)
        self.embed_sum.copy_(means * counts.unsqueeze(1))
        self.initialized.fill_(1)

    def forward(self, z):
        moved = z.movedim(1, -1)
        grid = moved.shape[:-1]
        flat = moved.reshape(-1, self.D)
        if self.training and self.initialized.item() == 0:
            self.kmeans(flat.detach())
        with torch.no_grad():
            idx = self.nearest(flat)
            counts = torch.bincount(idx, minlength=self.K).float()
        e = self.codebook.index_select(0, idx)
        if self.training:
            with torch.no_grad():
                g = self.decay
                self.cluster_size.mul_(g).add_(counts, alpha=1 - g)
                sums = torch.zeros(self.K, self.D).index_add_(0, idx, flat.detach())
                self.embed_sum.mul_(g).add_(sums, alpha=1 - g)
                n = self.cluster_size.sum()
                smoothed = (self.cluster_size + self.eps) / (n + self.K * self.eps) * n
                self.codebook.copy_(self.embed_sum / smoothed.unsqueeze(1))
                if self.thr > 0:
                    dead = (self.cluster_size < self.thr).nonzero().squeeze(1)
                    if dead.numel() > 0:
                        pick = torch.randint(0, flat.shape[0], (dead.numel(),))
                        rows = flat.detach()[pick]
                        self.codebook.index_copy_(0, dead, rows)
                        self.cluster_size.index_fill_(0, dead, self.thr)
                        self.embed_sum.index_copy_(0, dead, rows * self.thr)
        commit = ((flat - e.detach()) ** 2).mean()
        st = flat + (e - flat).detach()
        p = counts / idx.numel()
        perplexity = torch.exp(-(p * p.clamp_min(1e-12).log()).sum())
        return st.reshape(*grid, self.D).movedim(-1, 1), self.beta * commit, idx.reshape(grid), perplexity


class VQVAE(nn.Module):
    def __init__(self, c, shape):
        super().__init__()
        C = shape[0]
        self.encoder = VQEncoder(C, c['codeDim'], c)
        self.quantizer = Quantizer(c)
        self.decoder = VQDecoder(c['codeDim'], C, c)
        self.c = c

    def loss(self, x, step, meta):
        q, vq_loss, _, _ = self.quantizer(self.encoder(x))
        return ((self.decoder(q) - x) ** 2).mean() + vq_loss

    @torch.no_grad()
    def recon(self, x):
        """genlab's decodeIndices(encodeIndices(x)): nearest codes, decoded, clamped to [0, 1]; and the codes."""
        z = self.encoder(x)
        moved = z.movedim(1, -1)
        idx = self.quantizer.nearest(moved.reshape(-1, self.c['codeDim']))
        return self.decoder(self.quantizer.codebook[idx].reshape(moved.shape).movedim(-1, 1)).clamp(0, 1), idx

    @torch.no_grad()
    def evaluate(self, test):
        self.eval()
        se = 0.0
        counts = torch.zeros(self.c['codebookSize'])
        for i in range(0, test.shape[0], 500):
            x = test[i:i + 500]
            z = self.encoder(x)
            flat = z.movedim(1, -1).reshape(-1, self.c['codeDim'])
            idx = self.quantizer.nearest(flat)
            codes = self.quantizer.codebook[idx].reshape(*z.movedim(1, -1).shape).movedim(-1, 1)
            se += ((self.decoder(codes) - x) ** 2).sum().item()
            counts += torch.bincount(idx, minlength=self.c['codebookSize']).float()
        p = counts / counts.sum()
        return {'reconMse': se / test.numel(), 'perplexity': torch.exp(-(p * p.clamp_min(1e-12).log()).sum()).item(), 'codesUsed': int((counts > 0).sum().item())}


# ---------------------------------------------------------------- gated PixelCNN prior (src/models/vq/pixelcnn.ts)

class MaskedConv2d(nn.Module):
    def __init__(self, cin, cout, kernel, padding, mask):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, padding=padding)
        self.register_buffer('mask', torch.tensor(mask, dtype=torch.float32).reshape(1, 1, *kernel), persistent=False)

    def forward(self, x):
        return F.conv2d(x, self.conv.weight * self.mask, self.conv.bias, padding=self.conv.padding)


def gate(x):
    c = x.shape[1] // 2
    return x[:, :c].tanh() * x[:, c:].sigmoid()


def shift_down(x):
    return F.pad(x, (0, 0, 1, 0))[:, :, :x.shape[2]]


class GatedLayer(nn.Module):
    def __init__(self, ch, k, kind):
        super().__init__()
        c = k // 2
        vmask = [[1 if r <= c else 0 for _ in range(k)] for r in range(k)]
        hmask = [[1 if (q < c if kind == 'A' else q <= c) else 0 for q in range(k)]]
        self.kind = kind
        self.v_conv = MaskedConv2d(ch, 2 * ch, (k, k), (c, c), vmask)
        self.h_conv = MaskedConv2d(ch, 2 * ch, (1, k), (0, c), hmask)
        self.v2h = nn.Conv2d(2 * ch, 2 * ch, 1)
        self.h_out = nn.Conv2d(ch, ch, 1)

    def forward(self, v, h):
        vc = self.v_conv(v)
        hc = self.h_conv(h) + self.v2h(shift_down(vc))
        h_out = self.h_out(gate(hc))
        return gate(vc), (h_out if self.kind == 'A' else h + h_out)


class GatedPixelCNN(nn.Module):
    def __init__(self, K, ch, n_layers, k):
        super().__init__()
        self.K = K
        self.embed = nn.Conv2d(K, ch, 1, bias=False)
        self.layers = nn.ModuleList([GatedLayer(ch, k, 'A' if i == 0 else 'B') for i in range(n_layers)])
        self.head1 = nn.Conv2d(ch, ch, 1)
        self.head2 = nn.Conv2d(ch, K, 1)

    def forward(self, codes):
        e = self.embed(F.one_hot(codes, self.K).float().permute(0, 3, 1, 2))
        v = h = e
        for layer in self.layers:
            v, h = layer(v, h)
        return self.head2(F.relu(self.head1(F.relu(h))))

    def nll(self, codes):
        return F.cross_entropy(self(codes), codes)

    @torch.no_grad()
    def sample(self, n, H, W, tau=1.0):
        codes = torch.zeros(n, H, W, dtype=torch.int64)
        for i in range(H):
            for j in range(W):
                logits = self(codes)[:, :, i, j]
                codes[:, i, j] = (logits / tau).softmax(-1).multinomial(1).squeeze(1)
        return codes


class VQPrior(nn.Module):
    """The PixelCNN over the codes of a trained VQ-VAE (this script's own, loaded with --vq; frozen, not a submodule)."""

    def __init__(self, c, meta):
        super().__init__()
        vq_path = sys.argv[sys.argv.index('--vq') + 1] if '--vq' in sys.argv else None
        if not vq_path:
            raise SystemExit('latent.py: a vqvae-prior twin needs --vq <state dict saved by latent.py --save>')
        base = VQVAE(meta['vqConfig'], meta['shape'])
        base.load_state_dict(torch.load(vq_path))
        base.eval()
        for p in base.parameters():
            p.requires_grad_(False)
        self.__dict__['base'] = base
        self.grid = (meta['shape'][1] // 4, meta['shape'][2] // 4)
        self.prior = GatedPixelCNN(meta['vqConfig']['codebookSize'], c['channels'], c['layers'], c['kernel'])
        self.meta = meta

    @torch.no_grad()
    def encode(self, x):
        z = self.base.encoder(x)
        flat = z.movedim(1, -1).reshape(-1, self.base.c['codeDim'])
        return self.base.quantizer.nearest(flat).reshape(x.shape[0], *self.grid)

    @torch.no_grad()
    def decode(self, idx):
        codes = self.base.quantizer.codebook[idx].movedim(-1, 1)
        return self.base.decoder(codes).clamp(0, 1)

    def loss(self, x, step, meta):
        return self.prior.nll(self.encode(x))

    @torch.no_grad()
    def evaluate(self, test):
        total = 0.0
        for i in range(0, test.shape[0], 500):
            x = test[i:i + 500]
            total += self.prior.nll(self.encode(x)).item() * x.shape[0]
        per_code = total / test.shape[0]
        out = {'codeNll': per_code, 'codeNllPerImage': per_code * self.grid[0] * self.grid[1], 'bitsPerCode': per_code / math.log(2)}
        n = int(sys.argv[sys.argv.index('--samples') + 1]) if '--samples' in sys.argv else 0
        if n > 0:
            # as genlab's sampleFrechetDistances draws them: one seed, batches of 250, temperature 1
            torch.manual_seed(self.meta['fdSeed'])
            parts = [self.decode(self.prior.sample(min(250, n - i), *self.grid)) for i in range(0, n, 250)]
            path = os.path.join(sys.argv[1], f"{self.meta['name']}-samples.f32")
            torch.cat(parts, 0).contiguous().numpy().tofile(path)
            out['samples'] = path
        return out


# ---------------------------------------------------------------- training

def build(meta):
    c, shape = meta['modelConfig'], meta['shape']
    if meta['model'] in ('vae', 'iwae'):
        return GaussianVAE(c, shape)
    if meta['model'] == 'gumbel-vae':
        return CategoricalVAE(c, shape)
    if meta['model'] == 'vqvae':
        return VQVAE(c, shape)
    if meta['model'] == 'vqvae-prior':
        return VQPrior(c, meta)
    raise SystemExit(f"latent.py: no reference for model '{meta['model']}'")


def load_u8(path, shape):
    raw = bytearray(open(path, 'rb').read())
    x = torch.frombuffer(raw, dtype=torch.uint8)
    return x.reshape(-1, *shape).float() / 255


def main():
    d, name = sys.argv[1], sys.argv[2]
    bench = int(sys.argv[sys.argv.index('--bench') + 1]) if '--bench' in sys.argv else 0
    check = int(sys.argv[sys.argv.index('--check') + 1]) if '--check' in sys.argv else 0
    save = sys.argv[sys.argv.index('--save') + 1] if '--save' in sys.argv else None
    torch.set_num_threads(int(os.environ.get('TORCH_THREADS', '1')))
    meta = json.load(open(os.path.join(d, f'{name}.json')))
    meta['name'] = name
    model = build(meta)
    sd = load_safetensors(os.path.join(d, f'{name}-init.safetensors'))
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [k for k in missing if not k.endswith('.mask')]
    if missing or unexpected:
        raise SystemExit(f'latent.py: state dict mismatch: missing {missing}, unexpected {unexpected}')
    train = load_u8(os.path.join(d, f"{meta['data']}-train.u8"), meta['shape'])
    test = load_u8(os.path.join(d, f"{meta['data']}-test.u8"), meta['shape'])
    tc = meta['train']
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=tc['lr'], betas=tuple(tc['betas']), eps=tc['eps'])
    B, spe = tc['batch'], meta['stepsPerEpoch']
    steps = bench or check or tc['steps']
    losses = []
    perm, perm_epoch = None, -1
    model.train()
    times = []
    t0 = time.time()
    c0 = time.process_time()
    t_warm = None
    last = float('nan')
    for s in range(steps):
        epoch = s // spe
        if epoch != perm_epoch:
            g = torch.Generator().manual_seed(meta['dataSeeds'][epoch] if epoch < len(meta['dataSeeds']) else 0)
            perm = torch.randperm(train.shape[0], generator=g)
            perm_epoch = epoch
        i = s % spe
        x = train[perm[i * B:(i + 1) * B]]
        if bench and s == min(3, bench - 1):
            t_warm = time.time()

            def profiled_step(s=s, x=x):
                torch.manual_seed(meta['stepSeeds'][s] if s < len(meta['stepSeeds']) else s)
                loss = model.loss(x, min(s, len(meta['lrs']) - 1), meta)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            if maybe_profile(profiled_step):
                return
        ts = time.process_time()
        torch.manual_seed(meta['stepSeeds'][s] if s < len(meta['stepSeeds']) else s)
        for grp in opt.param_groups:
            grp['lr'] = meta['lrs'][min(s, len(meta['lrs']) - 1)]
        loss = model.loss(x, min(s, len(meta['lrs']) - 1), meta)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        times.append(time.process_time() - ts)
        last = loss.item()
        losses.append(last)
        if not bench and (s + 1) % 500 == 0:
            print(f'step {s + 1}/{steps} loss {last:.3f} ({(s + 1) / (time.time() - t0):.1f} it/s)', file=sys.stderr, flush=True)
    if check:
        print(json.dumps({'losses': losses}))
        return
    if bench:
        # CPU ms per step of the process (every thread) and wall ms per step, after 3 warm-up steps
        warm = min(3, bench - 1)
        cpu = sum(times[warm:]) / (bench - warm)
        wall_ms = 1000 * (time.time() - t_warm) / (bench - warm) if t_warm else float('nan')
        print(json.dumps({'ms': 1000 * cpu, 'wallMs': wall_ms, 'steps': bench - warm}))
        return
    model.eval()
    train_cpu = time.process_time()
    out = {'name': name, 'model': meta['model'], 'data': meta['data'], 'steps': steps, 'lastLoss': last, 'trainSeconds': time.time() - t0, 'trainCpuSeconds': train_cpu - c0}
    if save:
        torch.save(model.state_dict(), save)
    out.update(model.evaluate(test))
    out['evalCpuSeconds'] = time.process_time() - train_cpu
    if '--recon' in sys.argv:
        # reconstructions of the test set, float32 [N, C, H, W], for genlab's FD (scripts/vqgan-eval.ts)
        path = sys.argv[sys.argv.index('--recon') + 1]
        torch.cat([model.recon(test[i:i + 500])[0] for i in range(0, test.shape[0], 500)]).contiguous().numpy().astype('float32').tofile(path)
        out['recon'] = path
    print(json.dumps(out))


if __name__ == '__main__':
    main()
