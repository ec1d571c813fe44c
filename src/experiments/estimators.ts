/**
 * The gradient-estimator experiment (`genlab experiment estimators`): bias and variance of
 * estimators of ∇_θ E_{z~p_θ}[f(z)] against the exact gradient of two toy objectives.
 *
 * - Gaussian: z ~ N(μ, σ²), f(z) = (z − a)²; exact ∂/∂μ = 2(μ − a), ∂/∂σ = 2σ. Estimators:
 *   reparameterization, score function (REINFORCE), score function with a leave-one-out baseline.
 * - Categorical: z ~ Cat(softmax θ) over K classes as a one-hot, f(z) = (Σ_k c_k z_k − 0.45)² with
 *   c_k = k/(K−1) (nonlinear in z, so the relaxed and straight-through estimators differ); with
 *   v_k = f(e_k) = (c_k − 0.45)², exact ∂/∂θ_j = p_j (v_j − Σ_k p_k v_k). Estimators: score function,
 *   score function + leave-one-out baseline, Gumbel-softmax (f on the relaxed sample; biased for
 *   τ > 0) and straight-through Gumbel-softmax (f on the one-hot, gradient of the soft sample).
 *
 * Each configuration draws R independent estimates (R replicated parameter rows in one batch); the
 * bias is ‖mean ĝ − g‖₂ (with the standard error of that mean's norm, √(tr Cov / R)) and the variance
 * is tr Cov(ĝ) of one estimate made from n draws.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { torch, type Tensor } from '../tensor/index.ts';
import { Normal, Categorical, RelaxedOneHotCategorical, reparamGradient, scoreFunctionGradient } from '../distributions/index.ts';
import { lineChart, type Series } from '../io/plot.ts';

export interface EstimatorRow {
  objective: 'gaussian' | 'categorical';
  estimator: string;
  /** Draws per estimate. */
  n: number;
  /** Gumbel-softmax temperature (NaN where none). */
  temperature: number;
  /** ‖mean ĝ − g‖₂ over R replicates. */
  bias: number;
  /** Standard error of the bias (√(tr Cov / R)). */
  biasSE: number;
  /** tr Cov(ĝ) of one estimate. */
  variance: number;
}

export interface EstimatorExperimentOptions {
  /** Replicates per configuration (default 20000). */
  replicates?: number;
  seed?: number;
  /** Draws per estimate (default [1, 4, 16, 64]). */
  sampleCounts?: number[];
  /** Gumbel-softmax temperatures (default [0.1, 0.25, 0.5, 1, 2]). */
  temperatures?: number[];
  /** Classes of the categorical objective (default 8). */
  classes?: number;
}

const GAUSS = { mu: 1, sigma: 0.5, a: 2 };

/** Bias, its standard error and the total variance of R estimates [R, P] against the exact [P]. */
function summarize(est: Tensor, exact: Tensor): { bias: number; biasSE: number; variance: number } {
  return torch.scope(() => {
    const R = est.size(0);
    const mean = est.mean(0);
    const variance = est.var(0).sum().item();
    return { bias: mean.sub(exact).norm().item(), biasSE: Math.sqrt(variance / R), variance };
  });
}

function gaussianRows(R: number, ns: number[], seed: number): EstimatorRow[] {
  const rows: EstimatorRow[] = [];
  const exact = torch.tensor([2 * (GAUSS.mu - GAUSS.a), 2 * GAUSS.sigma], { dtype: 'float64' });
  const f = (z: Tensor) => z.sub(GAUSS.a).square();
  for (const n of ns) {
    for (const estimator of ['reparam', 'score', 'score+loo']) {
      if (estimator === 'score+loo' && n < 2) continue;
      torch.scope(() => {
        const mu = torch.full([R], GAUSS.mu, { dtype: 'float64' }).requiresGrad_();
        const sigma = torch.full([R], GAUSS.sigma, { dtype: 'float64' }).requiresGrad_();
        const dist = new Normal(mu, sigma);
        const generator = new torch.Generator({ seed: seed + 17 * n + estimator.length });
        const o = { nSamples: n, generator };
        const [gm, gs] =
          estimator === 'reparam'
            ? reparamGradient(dist, f, [mu, sigma], o)
            : scoreFunctionGradient(dist, f, [mu, sigma], { ...o, baseline: estimator === 'score+loo' ? 'loo' : undefined });
        rows.push({ objective: 'gaussian', estimator, n, temperature: NaN, ...summarize(torch.stack([gm!, gs!], 1), exact) });
      });
    }
  }
  return rows;
}

/** The categorical objective's logits, values and exact gradient. */
export function categoricalObjective(K: number): { logits: number[]; c: number[]; exact: number[] } {
  const logits = Array.from({ length: K }, (_, k) => Math.sin(1.3 * k + 0.4) * 1.5);
  const c = Array.from({ length: K }, (_, k) => k / (K - 1));
  const v = c.map((ck) => (ck - 0.45) ** 2);
  const m = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - m));
  const Z = e.reduce((a, b) => a + b, 0);
  const p = e.map((x) => x / Z);
  const fbar = p.reduce((s, pk, k) => s + pk * v[k]!, 0);
  return { logits, c, exact: p.map((pj, j) => pj * (v[j]! - fbar)) };
}

function categoricalRows(R: number, ns: number[], taus: number[], K: number, seed: number): EstimatorRow[] {
  const rows: EstimatorRow[] = [];
  const obj = categoricalObjective(K);
  const exact = torch.tensor(obj.exact, { dtype: 'float64' });
  const cT = torch.tensor(obj.c, { dtype: 'float64' });
  const fOneHot = (y: Tensor) => y.mul(cT).sum(-1).sub(0.45).square();
  const theta0 = () => torch.tensor(obj.logits, { dtype: 'float64' }).unsqueeze(0).expand([R, K]).contiguous().requiresGrad_();
  let s = seed;
  for (const n of ns) {
    for (const estimator of ['score', 'score+loo']) {
      if (estimator === 'score+loo' && n < 2) continue;
      torch.scope(() => {
        const theta = theta0();
        const dist = new Categorical({ logits: theta });
        const f = (z: Tensor) => fOneHot(z.oneHot(K).to('float64'));
        const [g] = scoreFunctionGradient(dist, f, [theta], { nSamples: n, generator: new torch.Generator({ seed: ++s }), baseline: estimator === 'score+loo' ? 'loo' : undefined });
        rows.push({ objective: 'categorical', estimator, n, temperature: NaN, ...summarize(g!, exact) });
      });
    }
    for (const tau of taus) {
      for (const hard of [false, true]) {
        torch.scope(() => {
          const theta = theta0();
          const dist = new RelaxedOneHotCategorical({ logits: theta, temperature: tau, hard });
          const [g] = reparamGradient(dist, fOneHot, [theta], { nSamples: n, generator: new torch.Generator({ seed: ++s }) });
          rows.push({ objective: 'categorical', estimator: hard ? 'st-gumbel' : 'gumbel-softmax', n, temperature: tau, ...summarize(g!, exact) });
        });
      }
    }
  }
  return rows;
}

/** Runs both objectives. */
export function runEstimatorExperiment(options: EstimatorExperimentOptions = {}): EstimatorRow[] {
  const R = options.replicates ?? 20000;
  if (!Number.isInteger(R) || R < 2) throw new RangeError(`estimator experiment: replicates must be an integer >= 2, got ${R}`);
  const ns = options.sampleCounts ?? [1, 4, 16, 64];
  const taus = options.temperatures ?? [0.1, 0.25, 0.5, 1, 2];
  for (const n of ns) if (!Number.isInteger(n) || n < 1) throw new RangeError(`estimator experiment: sample counts must be integers >= 1, got ${n}`);
  for (const t of taus) if (!(t > 0)) throw new RangeError(`estimator experiment: temperatures must be > 0, got ${t}`);
  const seed = options.seed ?? 0;
  return [...gaussianRows(R, ns, seed), ...categoricalRows(R, ns, taus, options.classes ?? 8, seed + 1000)];
}

const fmt = (v: number) => (Number.isNaN(v) ? '–' : Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2));

/** A markdown table of the rows. */
export function estimatorTable(rows: EstimatorRow[]): string {
  const lines = ['| objective | estimator | n | τ | bias ‖E ĝ − g‖ | ± s.e. | variance tr Cov ĝ |', '|---|---|---:|---:|---:|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.objective} | ${r.estimator} | ${r.n} | ${Number.isNaN(r.temperature) ? '–' : r.temperature} | ${fmt(r.bias)} | ${fmt(r.biasSE)} | ${fmt(r.variance)} |`);
  return lines.join('\n');
}

/** Writes the plots (PNG), the table (markdown) and the rows (JSON) into dir; returns the paths. */
export function writeEstimatorReport(rows: EstimatorRow[], dir: string, prefix = 'estimators'): string[] {
  mkdirSync(dir, { recursive: true });
  const paths: string[] = [];
  const log2 = (n: number) => Math.log2(n);
  // Gaussian: variance against draws per estimate.
  const gauss = rows.filter((r) => r.objective === 'gaussian');
  const gSeries: Series[] = ['reparam', 'score', 'score+loo'].map((e) => {
    const rs = gauss.filter((r) => r.estimator === e);
    return { name: e, x: rs.map((r) => log2(r.n)), values: rs.map((r) => r.variance) };
  });
  const p1 = join(dir, `${prefix}-gaussian-variance.png`);
  lineChart(p1, gSeries, { logY: true, title: 'Gaussian f(z)=(z-2)^2: variance of one estimate', xLabel: 'log2 draws per estimate', yLabel: 'tr Cov' });
  paths.push(p1);
  // Categorical: bias and variance against temperature (n = smallest count), score-function as flat lines.
  const cat = rows.filter((r) => r.objective === 'categorical');
  const n0 = Math.min(...cat.map((r) => r.n));
  const taus = [...new Set(cat.filter((r) => !Number.isNaN(r.temperature)).map((r) => r.temperature))].sort((a, b) => a - b);
  const byTau = (e: string, key: 'bias' | 'variance', n: number): Series => {
    const rs = cat.filter((r) => r.estimator === e && r.n === n).sort((a, b) => a.temperature - b.temperature);
    return { name: `${e} n=${n}`, x: rs.map((r) => Math.log10(r.temperature)), values: rs.map((r) => r[key]) };
  };
  const flat = (e: string, key: 'bias' | 'variance', n: number): Series | null => {
    const r = cat.find((x) => x.estimator === e && x.n === n);
    return r ? { name: `${e} n=${n}`, x: taus.map((t) => Math.log10(t)), values: taus.map(() => r[key]) } : null;
  };
  const nMax = Math.max(...cat.map((r) => r.n));
  for (const key of ['bias', 'variance'] as const) {
    const series: Series[] = [byTau('gumbel-softmax', key, n0), byTau('st-gumbel', key, n0), byTau('gumbel-softmax', key, nMax), byTau('st-gumbel', key, nMax)];
    const sf = flat('score', key, n0);
    if (sf) series.push(sf);
    const loo = flat('score+loo', key, nMax);
    if (loo) series.push(loo);
    const p = join(dir, `${prefix}-categorical-${key}.png`);
    lineChart(p, series, {
      logY: true,
      title: `Categorical toy: ${key === 'bias' ? 'bias |E g^ - g|' : 'variance tr Cov g^'} vs temperature`,
      xLabel: 'log10 temperature',
      yLabel: key,
    });
    paths.push(p);
  }
  const md = join(dir, `${prefix}.md`);
  writeFileSync(md, `${estimatorTable(rows)}\n`);
  paths.push(md);
  const js = join(dir, `${prefix}.json`);
  writeFileSync(js, `${JSON.stringify(rows, null, 1)}\n`);
  paths.push(js);
  return paths;
}
