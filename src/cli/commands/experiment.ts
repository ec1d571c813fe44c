/** `genlab experiment <name>`: small, self-contained experiments that write plots and tables. */
import type { Command } from '../command.ts';
import { UsageError } from '../args.ts';
import { runEstimatorExperiment, writeEstimatorReport, estimatorTable } from '../../experiments/estimators.ts';

const EXPERIMENTS = ['estimators'] as const;

const list = (s: string) => s.split(',').map((v) => Number(v.trim()));

export const experimentCommand: Command = {
  name: 'experiment',
  summary: 'Run an experiment: estimators (bias/variance of gradient estimators vs exact gradients)',
  usage: 'estimators [--out dir] [--replicates R] [--samples 1,4,16,64] [--temperatures 0.1,0.5,1] [--seed S]',
  flags: {
    out: { type: 'string', default: 'docs/img', help: 'folder for the plots, the markdown table and the JSON rows' },
    replicates: { type: 'int', default: 20000, help: 'independent estimates per configuration' },
    samples: { type: 'string', default: '1,4,16,64', help: 'draws per estimate, comma-separated' },
    temperatures: { type: 'string', default: '0.1,0.25,0.5,1,2', help: 'Gumbel-softmax temperatures (> 0), comma-separated' },
    seed: { type: 'int', default: 0, help: 'seed' },
  },
  async run(positional, flags): Promise<number> {
    const name = positional[0];
    if (!name || !(EXPERIMENTS as readonly string[]).includes(name)) {
      throw new UsageError(`name one of ${EXPERIMENTS.join(', ')}${name ? `; got '${name}'` : ''}`);
    }
    const temperatures = list(String(flags.temperatures));
    const bad = temperatures.find((t) => !(t > 0));
    if (bad !== undefined) throw new UsageError(`--temperatures must all be > 0, got ${Number.isNaN(bad) ? `'${flags.temperatures}'` : bad}`);
    const samples = list(String(flags.samples));
    const badN = samples.find((n) => !Number.isInteger(n) || n < 1);
    if (badN !== undefined) throw new UsageError(`--samples must all be integers >= 1, got ${Number.isNaN(badN) ? `'${flags.samples}'` : badN}`);
    const t0 = performance.now();
    const rows = runEstimatorExperiment({ replicates: flags.replicates as number, sampleCounts: samples, temperatures, seed: flags.seed as number });
    const paths = writeEstimatorReport(rows, String(flags.out));
    console.log(estimatorTable(rows));
    console.log(`\n${rows.length} configurations in ${((performance.now() - t0) / 1000).toFixed(1)} s; wrote:`);
    for (const p of paths) console.log(`  ${p}`);
    return 0;
  },
};
