import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../../src/tensor/index.ts';
import { Module } from '../../../src/nn/index.ts';
import {
  getSchedule, SCHEDULES, toX0Eps, fromX0Eps, convertPrediction, PREDICTION_TYPES, getPreconditioning, Preconditioned, gaussianDenoiser, gaussianLogProb,
  odeLogLikelihood, linearSumAssignment, otPairNoise, mixtureDenoiser, mixtureLogProb, type NoiseNet, type PreconditioningName,
} from '../../../src/models/diffusion/index.ts';

const dtype = 'float64' as const;
const mu = () => torch.tensor([1, -0.5], { dtype });
const cov = () => torch.tensor([[1, 0.6], [0.6, 0.8]], { dtype });

describe('schedules', () => {
  for (const name of Object.keys(SCHEDULES)) {
    test(`${name}: sigmaInv inverts sigma and the derivatives match finite differences`, () => {
      const s = getSchedule(name);
      for (const f of [0.1, 0.4, 0.8]) {
        const t = s.tMin + f * (s.tMax - s.tMin);
        assert.ok(Math.abs(s.sigmaInv(s.sigma(t)) - t) < 1e-8 * Math.max(1, t), `${name}: sigmaInv(sigma(${t}))`);
        const h = 1e-6 * Math.max(1, t);
        const ds = (s.sigma(t + h) - s.sigma(t - h)) / (2 * h);
        const dss = (s.s(t + h) - s.s(t - h)) / (2 * h);
        assert.ok(Math.abs(ds - s.sigmaDeriv(t)) < 1e-5 * Math.max(1, Math.abs(ds)), `${name} dσ/dt at ${t}: ${ds} vs ${s.sigmaDeriv(t)}`);
        assert.ok(Math.abs(dss - s.sDeriv(t)) < 1e-5 * Math.max(1, Math.abs(dss)), `${name} ds/dt at ${t}`);
      }
    });
  }
  test('flow matching is x_t = (1 - t) x0 + t ε in the one form', () => {
    const s = getSchedule('flow');
    const t = 0.3;
    assert.ok(Math.abs(s.s(t) - 0.7) < 1e-15 && Math.abs(s.s(t) * s.sigma(t) - 0.3) < 1e-15);
  });
});

describe('prediction types', () => {
  for (const sched of ['vp', 'vp-cosine', 've', 'edm', 'flow']) {
    test(`${sched}: every type converts to every other; velocity is dx_t/dt (finite differences)`, () => {
      torch.scope(() => {
        const s = getSchedule(sched);
        const t = s.tMin + 0.37 * (s.tMax - s.tMin);
        const g = new torch.Generator({ seed: 5 });
        const x0 = torch.randn([6, 3], { dtype, generator: g });
        const eps = torch.randn([6, 3], { dtype, generator: g });
        const xtAt = (u: number) => x0.add(eps.mul(s.sigma(u))).mul(s.s(u));
        const xt = xtAt(t);
        const h = 1e-6 * Math.max(1, t);
        const fd = xtAt(t + h).sub(xtAt(t - h)).div(2 * h);
        assert.ok(fromX0Eps('velocity', x0, eps, s, t).sub(fd).abs().max().item() < 1e-4 * Math.max(1, fd.abs().max().item()));
        for (const a of PREDICTION_TYPES) {
          const pa = fromX0Eps(a, x0, eps, s, t);
          const back = toX0Eps(a, pa, xt, s, t);
          assert.ok(back.x0.sub(x0).abs().max().item() < 1e-8 && back.eps.sub(eps).abs().max().item() < 1e-8, `${sched}: ${a} round trip`);
          for (const b of PREDICTION_TYPES) {
            const pb = convertPrediction(a, b, pa, xt, s, t);
            assert.ok(pb.sub(fromX0Eps(b, x0, eps, s, t)).abs().max().item() < 1e-7, `${sched}: ${a} -> ${b}`);
          }
        }
      });
    });
  }
  test('unknown prediction type is an error', () => {
    torch.scope(() => assert.throws(() => toX0Eps('score' as never, torch.zeros([1]), torch.zeros([1]), getSchedule('edm'), 1), /unknown prediction type 'score'/));
  });
});

/** The ideal raw network of a preconditioning for an exact denoiser: F = (D(x, σ) - c_skip x)/c_out. */
class IdealNet extends Module implements NoiseNet {
  constructor(private readonly exact: (x: Tensor, s: number) => Tensor, private readonly p: ReturnType<typeof getPreconditioning>) {
    super();
  }
  forward(xin: Tensor, cNoise: Tensor): Tensor {
    const sigma = this.p.sigmaOfNoise(cNoise.select(0, 0).item());
    const c = this.p.coefficients(torch.tensor([sigma], { dtype: xin.dtype }));
    const x = xin.div(c.cIn.item());
    return this.exact(x, sigma).sub(x.mul(c.cSkip.item())).div(c.cOut.item());
  }
}

describe('preconditionings', () => {
  test('EDM, VP, VE, DDPM and flow give the same denoiser from their ideal networks', () => {
    torch.scope(() => {
      const exact = gaussianDenoiser(mu(), cov());
      const x = torch.randn([5, 2], { dtype, generator: new torch.Generator({ seed: 1 }) }).mul(3);
      for (const sigma of [0.05, 0.7, 3, 20]) {
        const want = exact(x, sigma);
        const ds: Record<string, Tensor> = {};
        for (const name of ['edm', 'vp', 've', 'ddpm', 'flow'] as PreconditioningName[]) {
          const p = getPreconditioning(name);
          const pre = new Preconditioned(new IdealNet(exact, p), p);
          ds[name] = pre.denoise(x, sigma);
          const err = ds[name]!.sub(want).abs().max().item();
          assert.ok(err < 1e-8, `${name} at σ=${sigma}: ${err}`);
        }
        // And the coefficient formulas themselves differ (the test can fail): c_skip of EDM is not 1.
        const c = getPreconditioning('edm').coefficients(torch.tensor([sigma], { dtype }));
        assert.ok(Math.abs(c.cSkip.item() - 0.25 / (sigma * sigma + 0.25)) < 1e-12);
      }
    });
  });
  test('the EDM coefficients are those of Karras et al. Table 1', () => {
    torch.scope(() => {
      const c = getPreconditioning('edm').coefficients(torch.tensor([2], { dtype }));
      const v = 4 + 0.25;
      assert.ok(Math.abs(c.cOut.item() - (2 * 0.5) / Math.sqrt(v)) < 1e-12);
      assert.ok(Math.abs(c.cIn.item() - 1 / Math.sqrt(v)) < 1e-12);
      assert.ok(Math.abs(c.cNoise.item() - Math.log(2) / 4) < 1e-12);
      assert.throws(() => getPreconditioning('karras'), /unknown preconditioning 'karras'/);
    });
  });
});

describe('log-likelihood through the probability-flow ODE', () => {
  test('Gaussian data: exact trace matches the exact density', () => {
    torch.scope(() => {
      const D = gaussianDenoiser(mu(), cov());
      const x = torch.randn([20, 2], { dtype, generator: new torch.Generator({ seed: 9 }) }).matmul(torch.linalg.cholesky(cov()).t()).add(mu());
      const sMin = 0.01;
      const sMax = 50;
      const eye = torch.eye(2, { dtype });
      const r = odeLogLikelihood(D, x, { sigmaMin: sMin, sigmaMax: sMax, divergence: 'exact', prior: (z) => gaussianLogProb(z, mu(), cov().add(eye.mul(sMax * sMax))) });
      const want = gaussianLogProb(x, mu(), cov().add(eye.mul(sMin * sMin)));
      const err = r.logp.sub(want).abs().max().item();
      assert.ok(err < 1e-3, `max |logp - exact| = ${err}`);
      assert.ok(r.stats.nfe > 10);
    });
  });
  test('mixture data: exact trace matches the mixture density', () => {
    torch.scope(() => {
      const w = torch.tensor([0.4, 0.6], { dtype });
      const m = torch.tensor([[-1.5, 0], [1, 1]], { dtype });
      const c = torch.tensor([[[0.2, 0], [0, 0.3]], [[0.4, 0.1], [0.1, 0.2]]], { dtype });
      const D = mixtureDenoiser(w, m, c);
      const x = torch.tensor([[-1.5, 0.2], [1, 0.8], [0, 0.5], [2, 2]], { dtype });
      const sMax = 40;
      const r = odeLogLikelihood(D, x, { sigmaMin: 0.01, sigmaMax: sMax, prior: (z) => mixtureLogProb(z, w, m, c, sMax) });
      const want = mixtureLogProb(x, w, m, c, 0.01);
      assert.ok(r.logp.sub(want).abs().max().item() < 2e-3, `${r.logp.sub(want).abs().max().item()}`);
    });
  });
  test('Hutchinson (images-sized, d = 16) is unbiased around the exact density', () => {
    torch.scope(() => {
      const d = 16;
      const mean = torch.zeros([d], { dtype });
      const S = torch.eye(d, { dtype }).mul(0.5).add(0.1);
      const D = gaussianDenoiser(mean, S);
      const g = new torch.Generator({ seed: 3 });
      const x = torch.randn([200, 1, 4, 4], { dtype, generator: g }).mul(0.6);
      const sMax = 30;
      const eye = torch.eye(d, { dtype });
      const r = odeLogLikelihood(D, x, { sigmaMin: 0.01, sigmaMax: sMax, divergence: 'hutchinson', generator: g, prior: (z) => gaussianLogProb(z.reshape([z.size(0), -1]), mean, S.add(eye.mul(sMax * sMax))) });
      const want = gaussianLogProb(x.reshape([200, -1]), mean, S.add(eye.mul(1e-4)));
      const diff = r.logp.sub(want);
      const m = diff.mean().item();
      const se = diff.std().item() / Math.sqrt(200);
      assert.ok(Math.abs(m) < 4 * se + 1e-3, `mean error ${m} (se ${se})`);
      assert.ok(diff.std().item() > 1e-3, 'a single probe per example is noisy');
    });
  });
});

describe('minibatch optimal transport', () => {
  test('Hungarian assignment matches brute force over all permutations', () => {
    const perms = (n: number): number[][] => (n === 1 ? [[0]] : perms(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)])));
    let seed = 1;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (const n of [1, 2, 3, 5, 7]) {
      for (let trial = 0; trial < 5; trial++) {
        const cost = Array.from({ length: n * n }, () => Math.round(rnd() * 20) / 4);
        const a = linearSumAssignment(cost, n);
        assert.deepEqual([...a].sort((p, q) => p - q), Array.from({ length: n }, (_, i) => i), 'a permutation');
        const total = (p: number[]) => p.reduce((s, j, i) => s + cost[i * n + j]!, 0);
        const best = Math.min(...perms(n).map(total));
        assert.ok(Math.abs(total(a) - best) < 1e-12, `n=${n}: ${total(a)} vs optimum ${best}`);
      }
    }
    assert.throws(() => linearSumAssignment([1, 2, 3], 2), /need 2x2 = 4 costs, got 3/);
  });
  test('OT pairing lowers the transport cost of a minibatch', () => {
    torch.scope(() => {
      const g = new torch.Generator({ seed: 4 });
      const x = torch.randn([64, 2], { generator: g }).add(3);
      const z = torch.randn([64, 2], { generator: g });
      const { noise } = otPairNoise(x, z);
      const before = x.sub(z).square().sum(1).mean().item();
      const after = x.sub(noise).square().sum(1).mean().item();
      assert.ok(after < before - 0.5, `${after} vs ${before}`);
      assert.ok(Math.abs(noise.sum().item() - z.sum().item()) < 1e-3, 'same points, reordered');
    });
  });
});
