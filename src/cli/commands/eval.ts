/** `genlab eval <run>`: test NLL (where the model has logProb), MMD and sliced Wasserstein (2D). */
import type { Command } from '../command.ts';
import { evaluateRun } from '../../train/index.ts';
import { fmt, openRunFromArgs, RUN_FLAGS } from './shared.ts';

const DESCRIPTIONS: Record<string, string> = {
  testNll: 'test negative log-likelihood (nats per example)',
  bitsPerDim: 'test NLL in bits per dimension',
  mmd: 'squared MMD, unbiased, RBF kernels (samples vs held-out)',
  slicedWasserstein: 'sliced Wasserstein-2 (samples vs held-out)',
  dataNll: "the data distribution's own NLL on the same points",
  fd: 'Fréchet distance of classifier features, samples vs held-out images',
  nllExamples: 'held-out examples of testNll / bitsPerDim (a subset: the likelihood is costly)',
};
const describe = (k: string) => DESCRIPTIONS[k] ?? (k.startsWith('fd@T') ? `Fréchet distance of classifier features at temperature ${k.slice(4)}` : '');

/** Parses --temperatures 0.6,0.7,1 into positive numbers, naming a bad entry. */
function parseTemperatures(v: unknown): number[] | undefined {
  if (v === undefined) return undefined;
  const list = String(v).split(',').map((s) => s.trim());
  return list.map((s) => {
    const t = Number(s);
    if (s === '' || !Number.isFinite(t) || t <= 0) throw new Error(`eval: --temperatures takes positive numbers separated by commas, got '${s}' in '${v}'`);
    return t;
  });
}

export const evalCommand: Command = {
  name: 'eval',
  summary: 'Evaluate a trained run on held-out data (NLL; MMD and sliced Wasserstein for 2D)',
  usage: '<run> [--json] [flags]',
  flags: {
    json: { type: 'bool', help: 'print one JSON object' },
    n: { type: 'int', help: 'held-out examples to use (default 2000 for 2D, the test split for images)' },
    seed: { type: 'int', help: "seed of the held-out draw and the samples (default: the run's)" },
    'fd-samples': { type: 'int', help: 'images: samples for the Fréchet distance on classifier features (default 1000; 0 skips)' },
    temperatures: { type: 'string', help: 'images: sampling temperatures for the Fréchet distance, e.g. 0.6,0.7,0.8,1 (default 1)' },
    'nll-n': { type: 'int', help: "held-out examples for the NLL (default: the model's choice, e.g. 64 for a diffusion model's PF-ODE; 0 skips)" },
    sampler: { type: 'string', help: "diffusion: the sampler of the Fréchet distance's samples (default the run's)" },
    steps: { type: 'int', help: "diffusion: sampler steps of the Fréchet distance's samples (default the run's)" },
    guidance: { type: 'float', help: "diffusion: classifier-free guidance scale of the Fréchet distance's samples" },
    ...RUN_FLAGS,
  },
  async run(positional, flags): Promise<number> {
    const opened = openRunFromArgs('eval', positional, flags);
    try {
      const fdSamples = flags['fd-samples'] as number | undefined;
      if (fdSamples !== undefined && fdSamples < 0) throw new Error(`eval: --fd-samples must be >= 0, got ${fdSamples}`);
      const nllN = flags['nll-n'] as number | undefined;
      if (nllN !== undefined && nllN < 0) throw new Error(`eval: --nll-n must be >= 0, got ${nllN}`);
      const sampleOptions: Record<string, unknown> = {};
      for (const k of ['sampler', 'steps', 'guidance'] as const) if (flags[k] !== undefined) sampleOptions[k] = flags[k];
      if (Object.keys(sampleOptions).length && !('sampler' in (opened.config.modelConfig ?? {}))) {
        throw new Error(`eval: --${Object.keys(sampleOptions)[0]} sets a diffusion sampler; ${opened.run.name} is a '${opened.config.model}' model, which has none`);
      }
      const r = await evaluateRun(opened, {
        n: flags.n as number | undefined,
        seed: flags.seed as number | undefined,
        fdSamples,
        temperatures: parseTemperatures(flags.temperatures),
        ...(nllN !== undefined ? { nllN } : {}),
        ...(Object.keys(sampleOptions).length ? { sampleOptions } : {}),
      });
      if (flags.json) {
        console.log(JSON.stringify(r));
        return 0;
      }
      console.log(`${opened.run.name}: ${r.model} on ${r.data}, step ${r.step}${r.ema ? ' (EMA weights)' : ''}, ${r.n} held-out examples`);
      const w = Math.max(...Object.keys(r.metrics).map((k) => k.length), 6) + 2;
      for (const [k, v] of Object.entries(r.metrics)) console.log(`  ${k.padEnd(w)}${fmt(v).padStart(12)}  ${describe(k)}`);
      return 0;
    } finally {
      opened.dispose();
    }
  },
};
