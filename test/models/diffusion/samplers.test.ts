import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../../src/tensor/index.ts';
import { solveFixed, type State } from '../../../src/ode/index.ts';
import {
  SAMPLERS, getSampler, karrasSigmas, exponentialSigmas, polyexponentialSigmas, vpSigmas, uniformTimeSigmas, getSchedule,
  sampleEuler, sampleHeun, sampleDdim, sampleDdpm, sampleEulerAncestral, perSampleNoise, gaussianDenoiser, mixtureDenoiser, linearMultistepCoeff,
} from '../../../src/models/diffusion/index.ts';

const dtype = 'float64' as const;
const mu = () => torch.tensor([1, -0.5], { dtype });
const cov = () => torch.tensor([[1, 0.6], [0.6, 0.8]], { dtype });

function meanCov(x: Tensor): { m: number[]; c: number[] } {
  const m = x.mean(0);
  const xc = x.sub(m);
  const c = xc.t().matmul(xc).div(x.size(0) - 1);
  return { m: Array.from(m.toFlatArray() as ArrayLike<number>), c: Array.from(c.toFlatArray() as ArrayLike<number>) };
}

function close(a: number[], b: number[], tol: number, what: string): void {
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < tol * Math.max(1, Math.abs(b[i]!)), `${what}: got [${a.map((z) => z.toFixed(4))}], want [${b.map((z) => z.toFixed(4))}] (tol ${tol})`));
}

describe('samplers driven by the exact Gaussian denoiser', () => {
  const sigmaMax = 80;
  for (const name of Object.keys(SAMPLERS)) {
    test(`${name} reaches the target mean and covariance (float64)`, () => {
      torch.scope(() => {
        const g = new torch.Generator({ seed: 7 });
        const n = 20000;
        const D = gaussianDenoiser(mu(), cov());
        const x = torch.randn([n, 2], { dtype, generator: g }).mul(sigmaMax);
        // First-order samplers get more steps (their O(1/N) bias on the covariance is ~12% at 40 steps).
        const firstOrder = ['euler', 'euler-ancestral', 'ddim', 'ddpm', 'euler-maruyama'].includes(name);
        const sigmas = karrasSigmas(firstOrder ? 500 : 40, 0.002, sigmaMax);
        const out = getSampler(name)(D, x, sigmas, { generator: g });
        assert.equal(out.dtype, 'float64');
        const { m, c } = meanCov(out);
        close(m, [1, -0.5], 0.04, `${name} mean`);
        close(c, [1, 0.6, 0.6, 0.8], 0.06, `${name} covariance`);
      });
    });
  }
});

describe('samplers driven by the exact Gaussian-mixture denoiser', () => {
  // Two components: the mixture's mean and covariance are known in closed form.
  const w = [0.3, 0.7];
  const means = [[-2, 0], [1.5, 1]];
  const cv = [[[0.3, 0.1], [0.1, 0.2]], [[0.5, -0.2], [-0.2, 0.4]]];
  const mMix = [0, 1].map((j) => w[0]! * means[0]![j]! + w[1]! * means[1]![j]!);
  const cMix = [0, 1].flatMap((a) => [0, 1].map((b) => w.reduce((s, wk, k) => s + wk * (cv[k]![a]![b]! + means[k]![a]! * means[k]![b]!), 0) - mMix[a]! * mMix[b]!));
  for (const name of ['euler', 'heun', 'dpmpp-2m', 'lms', 'euler-ancestral', 'dpmpp-sde', 'ddim', 'dpm2', 'dpm2-ancestral', 'dpmpp-2s-ancestral']) {
    test(`${name} reaches the mixture's mean and covariance`, () => {
      torch.scope(() => {
        const g = new torch.Generator({ seed: 3 });
        const D = mixtureDenoiser(torch.tensor(w, { dtype }), torch.tensor(means, { dtype }), torch.tensor(cv, { dtype }));
        const x = torch.randn([20000, 2], { dtype, generator: g }).mul(80);
        const firstOrder = ['euler', 'euler-ancestral', 'ddim'].includes(name);
        const out = getSampler(name)(D, x, karrasSigmas(firstOrder ? 500 : 40, 0.002, 80), { generator: g });
        const { m, c } = meanCov(out);
        close(m, mMix, 0.05, `${name} mixture mean`);
        close(c, cMix, 0.04, `${name} mixture covariance`); // relative to max(1, |entry|)
      });
    });
  }
});

describe('convergence orders on the exact PF-ODE of a Gaussian', () => {
  // For N(μ, Σ = U Λ Uᵀ) the PF-ODE from σ_max to 0 is x ↦ μ + U diag(sqrt(λ/(λ + σ_max²))) Uᵀ (x - μ).
  function exactFlow(x: Tensor, sigmaMax: number): Tensor {
    const [lam, U] = torch.linalg.eigh(cov()) as unknown as [Tensor, Tensor];
    const scale = lam.div(lam.add(sigmaMax ** 2)).sqrt();
    return x.sub(mu()).matmul(U).mul(scale).matmul(U.t()).add(mu());
  }
  for (const [name, order, steps] of [['euler', 1, [16, 32, 64]], ['heun', 2, [16, 32, 64]]] as [string, number, number[]][]) {
    test(`${name} converges with order ${order} as steps double`, () => {
      torch.scope(() => {
        const g = new torch.Generator({ seed: 1 });
        const sigmaMax = 10;
        const x = torch.randn([64, 2], { dtype, generator: g }).mul(sigmaMax);
        const exact = exactFlow(x, sigmaMax);
        const D = gaussianDenoiser(mu(), cov());
        const errs = steps.map((n) => getSampler(name)(D, x, karrasSigmas(n, 0.002, sigmaMax)).sub(exact).abs().max().item());
        const p1 = Math.log2(errs[0]! / errs[1]!);
        const p2 = Math.log2(errs[1]! / errs[2]!);
        assert.ok(Math.abs(p1 - order) < 0.3 && Math.abs(p2 - order) < 0.3, `${name}: errors ${errs.map((e) => e.toExponential(2))}, observed orders ${p1.toFixed(2)}, ${p2.toFixed(2)}`);
      });
    });
  }
});

describe('DDIM and DDPM', () => {
  test('DDIM with eta = 0 is one Euler step of the probability-flow ODE (src/ode)', () => {
    torch.scope(() => {
      const D = gaussianDenoiser(mu(), cov());
      const x = torch.randn([16, 2], { dtype, generator: new torch.Generator({ seed: 2 }) }).mul(5);
      const [s0, s1] = [5, 2.5];
      let afterFirst: number[] = [];
      sampleDdim(D, x, [s0, s1, 0], { eta: 0, callback: (xi, i) => { if (i === 1) afterFirst = Array.from(xi.toFlatArray() as ArrayLike<number>); } });
      const f = (s: number, [y]: State): State => [y!.sub(D(y!, s)).div(s)];
      const euler = solveFixed(f, [x], s0, s1, { method: 'euler', steps: 1 }).y[0]!;
      close(afterFirst, Array.from(euler.toFlatArray() as ArrayLike<number>), 1e-12, 'DDIM(0) vs Euler');
    });
  });

  test('DDIM with eta = 1 is DDPM ancestral sampling (same noise)', () => {
    torch.scope(() => {
      const D = gaussianDenoiser(mu(), cov());
      const x = torch.randn([8, 2], { dtype, generator: new torch.Generator({ seed: 4 }) }).mul(40);
      const sig = karrasSigmas(12, 0.01, 40);
      const a = sampleDdim(D, x, sig, { eta: 1, noise: perSampleNoise([1, 2, 3, 4, 5, 6, 7, 8]) });
      const b = sampleDdpm(D, x, sig, { noise: perSampleNoise([1, 2, 3, 4, 5, 6, 7, 8]) });
      assert.ok(a.sub(b).abs().max().item() < 1e-10, `max diff ${a.sub(b).abs().max().item()}`);
      const c = sampleDdim(D, x, sig, { eta: 0 });
      assert.ok(a.sub(c).abs().max().item() > 1e-3, 'eta must matter');
    });
  });
});

describe('per-sample seeds and dtype', () => {
  test('a sample does not change with the batch it is drawn in', () => {
    torch.scope(() => {
      const D = gaussianDenoiser(mu(), cov());
      const draw = (seeds: number[]) => {
        const ns = perSampleNoise(seeds);
        const x = ns(torch.zeros([seeds.length, 2], { dtype }), 0, 0).mul(80);
        return sampleEulerAncestral(D, x, karrasSigmas(10, 0.002, 80), { noise: ns });
      };
      const big = draw([11, 12, 13, 14]);
      const small = draw([13, 14]);
      assert.ok(big.narrow(0, 2, 2).sub(small).abs().max().item() < 1e-12);
      assert.ok(big.narrow(0, 0, 2).sub(small).abs().max().item() > 1e-3);
    });
  });

  test('float32 stays float32; the callback sees every step', () => {
    torch.scope(() => {
      const D = gaussianDenoiser(mu(), cov());
      const x = torch.randn([4, 2]).mul(80);
      const seen: number[] = [];
      const out = sampleHeun(D, x, karrasSigmas(5, 0.002, 80), { callback: (_x, i, s, sn, d) => { seen.push(i); assert.equal(d.dtype, 'float32'); assert.ok(sn < s); } });
      assert.equal(out.dtype, 'float32');
      assert.deepEqual(seen, [0, 1, 2, 3, 4]);
    });
  });

  test('samplers free their temporaries', () => {
    torch.scope(() => {
      const D = gaussianDenoiser(mu(), cov());
      const x = torch.randn([4, 2], { dtype }).mul(80);
      for (const name of Object.keys(SAMPLERS)) {
        const before = torch.memory().tensors;
        const out = getSampler(name)(D, x, karrasSigmas(6, 0.002, 80));
        out.dispose();
        assert.equal(torch.memory().tensors, before, `${name} leaked ${torch.memory().tensors - before} tensors`);
      }
    });
  });
});

describe('sigma schedules', () => {
  test('each is decreasing, n + 1 long and ends with 0', () => {
    const sch = getSchedule('vp');
    for (const s of [karrasSigmas(10, 0.002, 80), exponentialSigmas(10, 0.002, 80), polyexponentialSigmas(10, 0.002, 80, 2), vpSigmas(10), uniformTimeSigmas(10, sch)]) {
      assert.equal(s.length, 11);
      assert.equal(s[10], 0);
      for (let i = 1; i < s.length; i++) assert.ok(s[i]! < s[i - 1]!);
    }
    const k = karrasSigmas(3, 0.002, 80);
    assert.ok(Math.abs(k[0]! - 80) < 1e-12 && Math.abs(k[2]! - 0.002) < 1e-15);
    assert.ok(Math.abs(vpSigmas(2)[0]! - sch.sigma(1)) < 1e-12);
    for (const n of [1, 2, 5]) {
      const f = uniformTimeSigmas(n, getSchedule('flow'));
      assert.equal(f.length, n + 1, `flow, ${n} steps: [${f}]`);
      assert.ok(Math.abs(f[0]! - getSchedule('flow').sigmaMax) < 1e-9);
    }
  });

  test('LMS coefficients integrate the Lagrange basis exactly (sum to the step)', () => {
    const s = karrasSigmas(10, 0.01, 10);
    for (const order of [1, 2, 3, 4]) {
      let sum = 0;
      for (let j = 0; j < order; j++) sum += linearMultistepCoeff(order, s, 5, j);
      assert.ok(Math.abs(sum - (s[6]! - s[5]!)) < 1e-12, `order ${order}: ${sum} vs ${s[6]! - s[5]!}`);
    }
  });
});

describe('bad input', () => {
  const D = (x: Tensor) => x;
  test('clear errors', () => {
    torch.scope(() => {
      const x = torch.zeros([2, 2]);
      assert.throws(() => sampleEuler(D, x, [1, 2, 0]), /strictly decreasing.*sigmas\[0\] = 1 and sigmas\[1\] = 2/);
      assert.throws(() => sampleHeun(D, x, [2, 1, 0.5]), /must end with 0, got last = 0.5/);
      assert.throws(() => sampleEuler(D, x, [0]), /at least 2 entries/);
      assert.throws(() => sampleEuler(D, x, [NaN, 0]), /sigmas\[0\] = NaN/);
      assert.throws(() => karrasSigmas(0, 0.002, 80), /steps must be an integer >= 1, got 0/);
      assert.throws(() => karrasSigmas(4, 1, 0.5), /sigmaMin < sigmaMax/);
      assert.throws(() => getSampler('eulr'), /unknown sampler 'eulr'; samplers: euler, /);
      assert.throws(() => getSchedule('linear'), /unknown noise schedule 'linear'; schedules: vp, /);
    });
  });
});
