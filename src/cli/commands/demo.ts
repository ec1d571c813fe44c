/**
 * `genlab demo`: a short end-to-end run on a 2D set that needs no download: train the richest
 * registered family (a normalizing flow when there is one, else the example gaussian), sample,
 * evaluate, and print where the pictures are.
 */
import type { Command } from '../command.ts';
import { UsageError } from '../args.ts';
import { listModels, hasModel, getModel, modelNames } from '../../models/index.ts';
import { openRun, evaluateRun, writeSamplePictures, writeLossCurve, deriveSeed, dataNames, freeRunName } from '../../train/index.ts';
import { torch } from '../../tensor/index.ts';
import { progressHooks, trainWithSignals, exitCodeOf } from './train.ts';
import { fmt } from './shared.ts';

/** Families the demo prefers, best first, with steps that fit ~30-60 s on two cores. */
export const DEMO_CHOICES: { model: string; data: string; steps: number; batch: number; lr?: number }[] = [
  { model: 'realnvp', data: 'moons', steps: 3000, batch: 256, lr: 2e-3 },
  { model: 'nsf', data: 'moons', steps: 1000, batch: 256 },
  { model: 'glow', data: 'moons', steps: 1500, batch: 256 },
  { model: 'nice', data: 'moons', steps: 1500, batch: 256 },
  { model: 'gaussian', data: 'moons', steps: 300, batch: 256, lr: 0.05 },
];

/** The demo's model, data and steps: the first preferred family that is registered. */
export function demoPlan(model?: string): { model: string; data: string; steps: number; batch: number; lr?: number } {
  if (model) {
    const c = DEMO_CHOICES.find((d) => d.model === model);
    return c ?? { model, data: getModel(model).defaultData ?? 'moons', steps: 1000, batch: 256 };
  }
  const found = DEMO_CHOICES.find((d) => hasModel(d.model));
  if (found) return found;
  const any2d = listModels().find((f) => f.dataKinds.includes('2d'));
  return { model: any2d?.name ?? 'gaussian', data: 'moons', steps: 500, batch: 256 };
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'A short end-to-end run on a 2D set (no download): train, sample, evaluate, write pictures',
  usage: '[--model <family>] [--data <set>] [--steps N]',
  flags: {
    model: { type: 'string', help: 'model family (default: the best registered one for 2D)' },
    data: { type: 'string', choices: dataNames().filter((n) => !['mnist', 'fashion-mnist'].includes(n)), help: 'a 2D data set (default moons)' },
    steps: { type: 'int', help: 'training steps (default: sized to ~30-60 s on two cores)' },
    seed: { type: 'int', default: 0, help: 'seed' },
    out: { type: 'string', default: 'runs', help: 'folder of runs' },
    quiet: { type: 'bool', alias: 'q', help: 'no progress bar' },
  },
  async run(_positional, flags): Promise<number> {
    const model = flags.model as string | undefined;
    if (model && !hasModel(model)) throw new UsageError(`--model must be one of ${modelNames().join(', ')}; got '${model}'`);
    const plan = demoPlan(model);
    const data = (flags.data as string | undefined) ?? plan.data;
    const steps = (flags.steps as number | undefined) ?? plan.steps;
    const out = flags.out as string;
    if (out.trim() === '') throw new UsageError(`--out must name a folder, got ''`);
    const name = freeRunName(out, `demo-${plan.model}-${data}`);
    console.log(`genlab demo: training ${plan.model} on ${data} for ${steps} steps -> ${out}/${name}`);
    const t0 = performance.now();
    const hooks = flags.quiet ? null : progressHooks(plan.model);
    const r = await trainWithSignals({
      model: plan.model,
      data,
      out,
      name,
      train: { steps, batch: plan.batch, seed: flags.seed as number, sampleEvery: Math.max(1, Math.floor(steps / 3)), sampleCount: 2000, logEvery: Math.max(1, Math.floor(steps / 100)), ...(plan.lr ? { lr: plan.lr } : {}) },
      onStep: hooks?.onStep,
      log: hooks?.log ?? ((m) => process.stderr.write(`${m}\n`)),
    });
    hooks?.done();
    if (r.status !== 'completed') {
      console.error(`genlab demo: ${r.message}`);
      return r.status === 'aborted' ? exitCodeOf(r) : 1;
    }
    const opened = openRun(r.run.dir);
    try {
      torch.manualSeed(deriveSeed(flags.seed as number, 'sample', 1));
      const finalPics = writeSamplePictures({
        run: opened.run,
        step: opened.step,
        model: opened.model,
        data: opened.config.data,
        count: 3000,
        reference: undefined,
        path: `${opened.run.dir}/samples.png`,
        densityPath: `${opened.run.dir}/density.png`,
      });
      const curve = writeLossCurve(opened.run, undefined, { monitors: opened.model.monitors });
      const ev = await evaluateRun(opened);
      const secs = (performance.now() - t0) / 1000;
      console.log(`\ndone in ${secs.toFixed(1)} s (${plan.model} on ${data}, ${steps} steps, final loss ${fmt(r.loss)})`);
      console.log('evaluation on held-out points:');
      for (const [k, v] of Object.entries(ev.metrics)) console.log(`  ${k.padEnd(20)}${fmt(v)}`);
      console.log('\npictures:');
      for (const p of [...finalPics, ...(curve ? [curve] : []), ...r.pictures.filter((p) => p.includes('/samples/'))]) console.log(`  ${p}`);
      console.log(`\nrun folder: ${opened.run.dir}\nnext: genlab sample ${opened.run.dir} --n 5000   |   genlab eval ${opened.run.dir}`);
      return 0;
    } finally {
      opened.dispose();
    }
  },
};
