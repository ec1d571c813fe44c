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
    ...RUN_FLAGS,
  },
  async run(positional, flags): Promise<number> {
    const opened = openRunFromArgs('eval', positional, flags);
    try {
      const fdSamples = flags['fd-samples'] as number | undefined;
      if (fdSamples !== undefined && fdSamples < 0) throw new Error(`eval: --fd-samples must be >= 0, got ${fdSamples}`);
      const r = await evaluateRun(opened, { n: flags.n as number | undefined, seed: flags.seed as number | undefined, fdSamples, temperatures: parseTemperatures(flags.temperatures) });
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
