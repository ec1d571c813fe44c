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
};

export const evalCommand: Command = {
  name: 'eval',
  summary: 'Evaluate a trained run on held-out data (NLL; MMD and sliced Wasserstein for 2D)',
  usage: '<run> [--json] [flags]',
  flags: {
    json: { type: 'bool', help: 'print one JSON object' },
    n: { type: 'int', help: 'held-out examples to use (default 2000 for 2D, the test split for images)' },
    seed: { type: 'int', help: "seed of the held-out draw and the samples (default: the run's)" },
    ...RUN_FLAGS,
  },
  async run(positional, flags): Promise<number> {
    const opened = openRunFromArgs('eval', positional, flags);
    try {
      const r = await evaluateRun(opened, { n: flags.n as number | undefined, seed: flags.seed as number | undefined });
      if (flags.json) {
        console.log(JSON.stringify(r));
        return 0;
      }
      console.log(`${opened.run.name}: ${r.model} on ${r.data}, step ${r.step}${r.ema ? ' (EMA weights)' : ''}, ${r.n} held-out examples`);
      const w = Math.max(...Object.keys(r.metrics).map((k) => k.length), 6) + 2;
      for (const [k, v] of Object.entries(r.metrics)) console.log(`  ${k.padEnd(w)}${fmt(v).padStart(12)}  ${DESCRIPTIONS[k] ?? ''}`);
      return 0;
    } finally {
      opened.dispose();
    }
  },
};
